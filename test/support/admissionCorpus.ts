/** Image references for the admission rule's tests, unit and on a real API server. */
const DIGEST = "sha256:" + "a".repeat(64);

/** The tricks: reference forms, boundaries, case, ports. */
export const ADMISSION_CORPUS = [
    "registry.local:5000/kubeflow/docker.io/library/busybox:1.36",
    "registry.local:5000/kubeflow/gcr.io/ml-pipeline/frontend:2.3.0",
    `registry.local:5000/kubeflow/gcr.io/a/b@${DIGEST}`,
    `registry.local:5000/kubeflow/quay.io/a/b:v1@${DIGEST}`,
    "registry.local:5000/kubeflow/localhost_5000/a:1",
    "REGISTRY.local:5000/kubeflow/docker.io/a:1",
    "registry.local:5000/kubeflow/docker.io/a",
    "registry.local:5000/kubeflow-evil/docker.io/a:1",
    "registry.local.evil.io/kubeflow/docker.io/a:1",
    "registry.local:5001/kubeflow/docker.io/a:1",
    "registry.local/kubeflow/docker.io/a:1",
    "localhost:5000/a:1",
    "registry.local:5000/kubeflow/Docker.io/a:1",
    " gcr.io/a/b:1",
    "busybox",
    `gcr.io/a/b@${DIGEST}`,
    "docker.io/kubeflow/x:1",
    "registry.local:5000/kubeflow",
    "registry.local:5000/kubeflow/",
    "registry.local:5000/kubeflow//a:1",
];
