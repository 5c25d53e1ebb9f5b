// Command govectors is the Go half of edgeproof's byte-compatibility proof for the KubeEdge wire codec.
//
// It uses beehive's own model.Message and the exact encoding/json calls gorilla/websocket makes for
// WSLaneWithoutPack (ReadJSON = json.NewDecoder(r).Decode, WriteJSON = json.NewEncoder(w).Encode), so
// whatever it prints is what CloudCore and EdgeCore put on / accept from the WebSocket.
//
// Lines are base64 so that arbitrary frames (garbage, raw newlines, invalid UTF-8) survive the pipe.
//
//	govectors reencode   stdin: base64 frame per line; stdout: "OK <base64 re-encoded frame>" or "ERR <reason>"
//	govectors construct  stdout: "<name> <base64 frame>" for messages built with beehive constructors
//	govectors pki <dir>  writes a throwaway CA + server cert like CloudCore's (ECDSA P-256)
//	govectors sign <dir> stdin: CSR DER; stdout: client cert DER signed like CloudCore's SignCerts
//	govectors csrinfo    stdin: CSR DER; stdout: JSON of what Go's x509 sees in it
//	govectors csr <node> stdin: SEC1 EC key DER; stdout: the CSR DER edgecore's GetEdgeCert builds with it
package main

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kubeedge/beehive/pkg/core/model"
)

func main() {
	if len(os.Args) < 2 {
		fail("usage: govectors reencode|construct|pki <dir>|sign <dir>")
	}
	var err error
	switch os.Args[1] {
	case "reencode":
		err = reencode(os.Stdin, os.Stdout)
	case "construct":
		err = construct(os.Stdout)
	case "pki":
		err = pki(arg(2))
	case "sign":
		err = sign(arg(2), os.Stdin, os.Stdout)
	case "csrinfo":
		err = csrInfo(os.Stdin, os.Stdout)
	case "csr":
		err = makeCSR(arg(2), os.Stdin, os.Stdout)
	default:
		err = fmt.Errorf("unknown mode %q", os.Args[1])
	}
	if err != nil {
		fail(err.Error())
	}
}

func arg(i int) string {
	if len(os.Args) <= i {
		fail("missing argument")
	}
	return os.Args[i]
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "govectors:", msg)
	os.Exit(2)
}

// readJSON is gorilla/websocket (*Conn).ReadJSON applied to one frame payload.
func readJSON(frame []byte, msg *model.Message) error {
	err := json.NewDecoder(bytes.NewReader(frame)).Decode(msg)
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// writeJSON is gorilla/websocket (*Conn).WriteJSON minus the framing: Encoder.Encode escapes HTML and appends "\n".
func writeJSON(msg *model.Message) ([]byte, error) {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(msg); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func reencode(in io.Reader, out io.Writer) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
	w := bufio.NewWriter(out)
	defer w.Flush()
	for sc.Scan() {
		frame, err := base64.StdEncoding.DecodeString(sc.Text())
		if err != nil {
			return fmt.Errorf("bad base64 input line: %v", err)
		}
		fmt.Fprintln(w, reencodeOne(frame))
		// flushed per line so a long-lived caller can ask one frame at a time
		if err := w.Flush(); err != nil {
			return err
		}
	}
	return sc.Err()
}

func reencodeOne(frame []byte) string {
	msg := &model.Message{}
	if err := readJSON(frame, msg); err != nil {
		return "ERR " + strings.ReplaceAll(err.Error(), "\n", " ")
	}
	enc, err := writeJSON(msg)
	if err != nil {
		return "ERR encode: " + strings.ReplaceAll(err.Error(), "\n", " ")
	}
	return "OK " + base64.StdEncoding.EncodeToString(enc)
}

// The field order of these typed contents is deliberately not alphabetical: Go writes struct fields in
// declaration order, and the TS codec must be able to preserve an order it did not choose.
type objectMeta struct {
	Name            string            `json:"name,omitempty"`
	Namespace       string            `json:"namespace,omitempty"`
	UID             string            `json:"uid,omitempty"`
	ResourceVersion string            `json:"resourceVersion,omitempty"`
	Labels          map[string]string `json:"labels,omitempty"`
}

type leaseSpec struct {
	HolderIdentity       *string `json:"holderIdentity,omitempty"`
	LeaseDurationSeconds *int32  `json:"leaseDurationSeconds,omitempty"`
	RenewTime            string  `json:"renewTime,omitempty"`
}

type lease struct {
	Kind       string     `json:"kind,omitempty"`
	APIVersion string     `json:"apiVersion,omitempty"`
	Metadata   objectMeta `json:"metadata"`
	Spec       leaseSpec  `json:"spec"`
}

type pod struct {
	Kind       string                 `json:"kind,omitempty"`
	APIVersion string                 `json:"apiVersion,omitempty"`
	Metadata   objectMeta             `json:"metadata"`
	Spec       map[string]interface{} `json:"spec"`
}

type objectResp struct {
	Object interface{}
	Err    interface{}
}

func construct(out io.Writer) error {
	holder := "edge-1"
	dur := int32(40)
	podObj := pod{
		Kind: "Pod", APIVersion: "v1",
		Metadata: objectMeta{Name: "nginx", Namespace: "default", UID: "5b1c-<&>", ResourceVersion: "48213",
			Labels: map[string]string{"z": "1", "a": "2", "app": "web"}},
		Spec: map[string]interface{}{"nodeName": "edge-1", "containers": []interface{}{map[string]interface{}{"name": "c", "image": "nginx:1.27"}}},
	}
	podInsert := model.NewMessage("").
		BuildRouter("edgecontroller", "resource", "default/pod/nginx", model.InsertOperation).
		SetResourceVersion("48213").
		FillBody(podObj)

	cases := []struct {
		name string
		msg  *model.Message
	}{
		// edge/pkg/edgehub/process.go keepalive()
		{"keepalive", model.NewMessage("").BuildRouter("websocket", "resource", "node", "keepalive").FillBody("ping")},
		{"pod-insert", podInsert},
		// edge/pkg/metamanager/process.go: message.NewRespByMessage(&message, OK)
		{"ack", podInsert.NewRespByMessage(podInsert, "OK")},
		// edge/pkg/metamanager/client/node.go Patch: content is string(patchBytes)
		{"nodepatch", model.NewMessage("").BuildRouter("edged", "meta", "null/nodepatch/edge-1", model.PatchOperation).
			FillBody(`{"status":{"conditions":[{"type":"Ready","status":"True"}]}}`)},
		// edge/pkg/metamanager/client/lease.go Update: content is the typed *Lease
		{"lease", model.NewMessage("").BuildRouter("edged", "meta", "kube-node-lease/lease/edge-1", model.UpdateOperation).
			FillBody(&lease{Kind: "Lease", APIVersion: "coordination.k8s.io/v1",
				Metadata: objectMeta{Name: "edge-1", Namespace: "kube-node-lease"},
				Spec:     leaseSpec{HolderIdentity: &holder, LeaseDurationSeconds: &dur, RenewTime: "2026-01-02T03:04:05.123456Z"}})},
		{"podpatch", model.NewMessage("").BuildRouter("edged", "meta", "default/podpatch/nginx", model.PatchOperation).
			FillBody(`{"status":{"phase":"Running"}}`)},
		{"query", model.NewMessage("").BuildRouter("edged", "meta", "default/configmap/cfg", model.QueryOperation).FillBody(nil)},
		// metamanager feedbackError
		{"error", model.NewErrorMessage(podInsert, "failed to process remote: not connected").SetRoute("metamanager", podInsert.GetGroup())},
		{"sync-typed", model.NewMessage("p-1").BuildRouter("edgecontroller", "resource", "null/nodepatch/edge-1", model.ResponseOperation).
			SetType("channel").SetDestination("edged").SetResourceVersion("7").
			FillBody(objectResp{Object: map[string]interface{}{"kind": "Node"}, Err: map[string]interface{}{}})},
		{"bytes-content", model.NewMessage("").BuildRouter("edged", "meta", "default/secret/s", model.InsertOperation).
			FillBody([]byte("raw\x00bytes\xff"))},
		{"numbers", model.NewMessage("").BuildRouter("x", "y", "z", "upload").
			FillBody([]interface{}{0.0, math.Copysign(0, -1), 1e21, 1e-7, 123456789.125, -1.5e-300, 9007199254740993.0, 0.1, int64(42), true, false, nil})},
		{"strings", model.NewMessage("").BuildRouter("<src>", "g&g", "ns/type/a\u2028b\u2029c", "op").
			FillBody("quote\" backslash\\ ctl\x01\x1f\x7f tab\t nl\n cr\r bs\b ff\f html<>& emoji😀 fffd\ufffd")},
		// Go escapes invalid bytes as \ufffd; a decoder can only see U+FFFD, so this one cannot round-trip
		{"invalid-utf8", model.NewMessage("").BuildRouter("x", "y", "z", "op").FillBody("bad\xff\xfe\xed\xa0\x80 ok")},
		{"empty", model.NewRawMessage()},
	}
	cases[len(cases)-1].msg.Header.Sync = true
	w := bufio.NewWriter(out)
	defer w.Flush()
	for _, c := range cases {
		enc, err := writeJSON(c.msg)
		if err != nil {
			return fmt.Errorf("%s: %v", c.name, err)
		}
		fmt.Fprintf(w, "%s %s\n", c.name, base64.StdEncoding.EncodeToString(enc))
	}
	return nil
}

// pki mirrors pkg/security/certs: ECDSA P-256 keys, a self-signed CA, and a server cert for 127.0.0.1.
func pki(dir string) error {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	caTmpl := x509.Certificate{
		SerialNumber:          big.NewInt(1024),
		Subject:               pkix.Name{CommonName: "KubeEdge"},
		NotBefore:             time.Now().UTC().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageKeyEncipherment | x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, &caTmpl, &caTmpl, caKey.Public(), caKey)
	if err != nil {
		return err
	}
	caKeyDER, err := x509.MarshalECPrivateKey(caKey)
	if err != nil {
		return err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return err
	}
	srvKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	srvTmpl := x509.Certificate{
		SerialNumber: big.NewInt(2048),
		Subject:      pkix.Name{CommonName: "cloudcore"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:     []string{"localhost"},
		NotBefore:    time.Now().UTC().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageKeyEncipherment | x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	srvDER, err := x509.CreateCertificate(rand.Reader, &srvTmpl, ca, srvKey.Public(), caKey)
	if err != nil {
		return err
	}
	srvKeyDER, err := x509.MarshalECPrivateKey(srvKey)
	if err != nil {
		return err
	}
	files := map[string][]byte{
		"ca.der":         caDER,
		"ca.key.der":     caKeyDER,
		"server.pem":     pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srvDER}),
		"server.key.pem": pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: srvKeyDER}),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// sign mirrors x509CertsHandler.SignCerts with a CSR, plus a signature check CloudCore itself skips.
func sign(dir string, in io.Reader, out io.Writer) error {
	csrDER, err := io.ReadAll(in)
	if err != nil {
		return err
	}
	csr, err := x509.ParseCertificateRequest(csrDER)
	if err != nil {
		return fmt.Errorf("failed to parse csr, err: %v", err)
	}
	if err := csr.CheckSignature(); err != nil {
		return fmt.Errorf("csr signature: %v", err)
	}
	caDER, err := os.ReadFile(filepath.Join(dir, "ca.der"))
	if err != nil {
		return err
	}
	caKeyDER, err := os.ReadFile(filepath.Join(dir, "ca.key.der"))
	if err != nil {
		return err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return err
	}
	caKey, err := x509.ParseECPrivateKey(caKeyDER)
	if err != nil {
		return err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).SetInt64(math.MaxInt64))
	if err != nil {
		return err
	}
	tmpl := x509.Certificate{
		Subject:      pkix.Name{CommonName: csr.Subject.CommonName, Organization: csr.Subject.Organization},
		SerialNumber: serial,
		NotBefore:    time.Now().UTC(),
		NotAfter:     time.Now().Add(365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageKeyEncipherment | x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, &tmpl, ca, csr.PublicKey, caKey)
	if err != nil {
		return err
	}
	_, err = out.Write(der)
	return err
}

func csrInfo(in io.Reader, out io.Writer) error {
	der, err := io.ReadAll(in)
	if err != nil {
		return err
	}
	csr, err := x509.ParseCertificateRequest(der)
	if err != nil {
		return fmt.Errorf("failed to parse csr, err: %v", err)
	}
	info := map[string]interface{}{
		"subject":            csr.Subject.String(),
		"commonName":         csr.Subject.CommonName,
		"organization":       csr.Subject.Organization,
		"signatureAlgorithm": csr.SignatureAlgorithm.String(),
		"publicKeyAlgorithm": csr.PublicKeyAlgorithm.String(),
		"signatureValid":     csr.CheckSignature() == nil,
		"extensions":         len(csr.Extensions),
	}
	if pk, ok := csr.PublicKey.(*ecdsa.PublicKey); ok {
		info["curve"] = pk.Curve.Params().Name
	}
	return json.NewEncoder(out).Encode(info)
}

// makeCSR is edge/pkg/edgehub/certificate GetEdgeCert's CSR (via certs.CreateCSR) for a given key.
func makeCSR(node string, in io.Reader, out io.Writer) error {
	keyDER, err := io.ReadAll(in)
	if err != nil {
		return err
	}
	key, err := x509.ParseECPrivateKey(keyDER)
	if err != nil {
		return err
	}
	tpl := x509.CertificateRequest{Subject: pkix.Name{
		Country:      []string{"CN"},
		Organization: []string{"system:nodes"},
		Locality:     []string{"Hangzhou"},
		Province:     []string{"Zhejiang"},
		CommonName:   fmt.Sprintf("system:node:%s", node),
	}}
	der, err := x509.CreateCertificateRequest(rand.Reader, &tpl, key)
	if err != nil {
		return err
	}
	_, err = out.Write(der)
	return err
}
