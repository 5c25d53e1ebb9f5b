export { KubeClient, KubeApiError, loadKubeconfig } from './client.ts';
export type { KubeCall, KubeCredentials, KubeObject, KubeList, ObjectMeta, JsonObject, Watch, WatchEvent, WatchEventType, PatchType } from './client.ts';
