module edgeproof.local/govectors

go 1.23

require github.com/kubeedge/beehive v1.23.0

require github.com/google/uuid v1.6.0 // indirect
