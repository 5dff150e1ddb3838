/**
 * The dynamic class for what users create (notebook workspaces, pipeline volumes, Katib
 * trials): local-path-provisioner (kubespray's own `local_path_provisioner` add-on,
 * rancher/local-path-provisioner v0.0.31, deploy/local-path-storage.yaml) or the NFS subdir
 * provisioner (kubernetes-sigs/nfs-subdir-external-provisioner v4.0.2, deploy/). Their
 * manifests are written here, as their projects publish them, so they go through the same
 * mirror rewrite as every other object: no image of theirs is pulled from a public registry.
 */
import { K8sObject } from "../core/objects";
import { StorageSettings } from "./storage";

export const LOCAL_PATH_IMAGE = "docker.io/rancher/local-path-provisioner:v0.0.31";
export const LOCAL_PATH_HELPER_IMAGE = "docker.io/library/busybox:1.37.0";
export const NFS_IMAGE = "registry.k8s.io/sig-storage/nfs-subdir-external-provisioner:v4.0.2";

const DEFAULT_CLASS = "storageclass.kubernetes.io/is-default-class";
const LABELS = { "app.kubernetes.io/managed-by": "kfstack" };

/** The name of the dynamic class. */
export function dynamicClassName(s: StorageSettings): string | undefined {
    return s.dynamic === "local-path" ? "local-path" : s.dynamic === "nfs" ? "nfs-client" : undefined;
}

function localPath(s: StorageSettings): K8sObject[] {
    const ns = "local-path-storage";
    const sa = "local-path-provisioner-service-account";
    const helperPod = [
        "apiVersion: v1",
        "kind: Pod",
        "metadata:",
        "  name: helper-pod",
        "spec:",
        "  priorityClassName: system-node-critical",
        "  tolerations:",
        "    - key: node.kubernetes.io/disk-pressure",
        "      operator: Exists",
        "      effect: NoSchedule",
        "  containers:",
        "  - name: helper-pod",
        `    image: ${LOCAL_PATH_HELPER_IMAGE}`,
        "    imagePullPolicy: IfNotPresent",
        "",
    ].join("\n");
    return [
        { apiVersion: "v1", kind: "Namespace", metadata: { name: ns, labels: LABELS } },
        { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: sa, namespace: ns } },
        {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "Role",
            metadata: { name: "local-path-provisioner-role", namespace: ns },
            rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch", "create", "patch", "update", "delete"] }],
        },
        {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "ClusterRole",
            metadata: { name: "local-path-provisioner-role" },
            rules: [
                { apiGroups: [""], resources: ["nodes", "persistentvolumeclaims", "configmaps", "pods", "pods/log"], verbs: ["get", "list", "watch"] },
                { apiGroups: [""], resources: ["persistentvolumes"], verbs: ["get", "list", "watch", "create", "patch", "update", "delete"] },
                { apiGroups: [""], resources: ["events"], verbs: ["create", "patch"] },
                { apiGroups: ["storage.k8s.io"], resources: ["storageclasses"], verbs: ["get", "list", "watch"] },
            ],
        },
        {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "RoleBinding",
            metadata: { name: "local-path-provisioner-bind", namespace: ns },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "local-path-provisioner-role" },
            subjects: [{ kind: "ServiceAccount", name: sa, namespace: ns }],
        },
        {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "ClusterRoleBinding",
            metadata: { name: "local-path-provisioner-bind" },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "local-path-provisioner-role" },
            subjects: [{ kind: "ServiceAccount", name: sa, namespace: ns }],
        },
        {
            apiVersion: "apps/v1",
            kind: "Deployment",
            metadata: { name: "local-path-provisioner", namespace: ns },
            spec: {
                replicas: 1,
                selector: { matchLabels: { app: "local-path-provisioner" } },
                template: {
                    metadata: { labels: { app: "local-path-provisioner" } },
                    spec: {
                        serviceAccountName: sa,
                        containers: [
                            {
                                name: "local-path-provisioner",
                                image: LOCAL_PATH_IMAGE,
                                imagePullPolicy: "IfNotPresent",
                                command: ["local-path-provisioner", "--debug", "start", "--config", "/etc/config/config.json"],
                                volumeMounts: [{ name: "config-volume", mountPath: "/etc/config/" }],
                                env: [
                                    { name: "POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
                                    { name: "CONFIG_MOUNT_PATH", value: "/etc/config/" },
                                ],
                            },
                        ],
                        volumes: [{ name: "config-volume", configMap: { name: "local-path-config" } }],
                    },
                },
            },
        },
        {
            apiVersion: "storage.k8s.io/v1",
            kind: "StorageClass",
            metadata: { name: "local-path", labels: LABELS, annotations: s.dynamicDefault ? { [DEFAULT_CLASS]: "true" } : {} },
            provisioner: "rancher.io/local-path",
            volumeBindingMode: "WaitForFirstConsumer",
            reclaimPolicy: "Delete",
        },
        {
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: { name: "local-path-config", namespace: ns },
            data: {
                "config.json": JSON.stringify({ nodePathMap: [{ node: "DEFAULT_PATH_FOR_NON_LISTED_NODES", paths: [s.localPathDir] }] }, null, 2),
                setup: '#!/bin/sh\nset -eu\nmkdir -m 0777 -p "$VOL_DIR"\n',
                teardown: '#!/bin/sh\nset -eu\nrm -rf "$VOL_DIR"\n',
                "helperPod.yaml": helperPod,
            },
        },
    ] as K8sObject[];
}

function nfs(s: StorageSettings): K8sObject[] {
    const ns = "nfs-provisioner";
    const sa = "nfs-client-provisioner";
    const server = s.nfs?.server ?? "";
    const path = s.nfs?.path ?? "";
    return [
        { apiVersion: "v1", kind: "Namespace", metadata: { name: ns, labels: LABELS } },
        { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: sa, namespace: ns } },
        {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "ClusterRole",
            metadata: { name: "nfs-client-provisioner-runner" },
            rules: [
                { apiGroups: [""], resources: ["nodes"], verbs: ["get", "list", "watch"] },
                { apiGroups: [""], resources: ["persistentvolumes"], verbs: ["get", "list", "watch", "create", "delete"] },
                { apiGroups: [""], resources: ["persistentvolumeclaims"], verbs: ["get", "list", "watch", "update"] },
                { apiGroups: ["storage.k8s.io"], resources: ["storageclasses"], verbs: ["get", "list", "watch"] },
                { apiGroups: [""], resources: ["events"], verbs: ["create", "update", "patch"] },
            ],
        },
        {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "ClusterRoleBinding",
            metadata: { name: "run-nfs-client-provisioner" },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "nfs-client-provisioner-runner" },
            subjects: [{ kind: "ServiceAccount", name: sa, namespace: ns }],
        },
        {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "Role",
            metadata: { name: "leader-locking-nfs-client-provisioner", namespace: ns },
            rules: [{ apiGroups: [""], resources: ["endpoints"], verbs: ["get", "list", "watch", "create", "update", "patch"] }],
        },
        {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "RoleBinding",
            metadata: { name: "leader-locking-nfs-client-provisioner", namespace: ns },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "leader-locking-nfs-client-provisioner" },
            subjects: [{ kind: "ServiceAccount", name: sa, namespace: ns }],
        },
        {
            apiVersion: "apps/v1",
            kind: "Deployment",
            metadata: { name: "nfs-client-provisioner", namespace: ns },
            spec: {
                replicas: 1,
                strategy: { type: "Recreate" },
                selector: { matchLabels: { app: "nfs-client-provisioner" } },
                template: {
                    metadata: { labels: { app: "nfs-client-provisioner" } },
                    spec: {
                        serviceAccountName: sa,
                        containers: [
                            {
                                name: "nfs-client-provisioner",
                                image: NFS_IMAGE,
                                volumeMounts: [{ name: "nfs-client-root", mountPath: "/persistentvolumes" }],
                                env: [
                                    { name: "PROVISIONER_NAME", value: "k8s-sigs.io/nfs-subdir-external-provisioner" },
                                    { name: "NFS_SERVER", value: server },
                                    { name: "NFS_PATH", value: path },
                                ],
                            },
                        ],
                        volumes: [{ name: "nfs-client-root", nfs: { server, path } }],
                    },
                },
            },
        },
        {
            apiVersion: "storage.k8s.io/v1",
            kind: "StorageClass",
            metadata: { name: "nfs-client", labels: LABELS, annotations: s.dynamicDefault ? { [DEFAULT_CLASS]: "true" } : {} },
            provisioner: "k8s-sigs.io/nfs-subdir-external-provisioner",
            parameters: { archiveOnDelete: "false" },
        },
    ] as K8sObject[];
}

/** The dynamic provisioner's objects (public images: the caller rewrites them to the mirror). */
export function dynamicProvisioner(s: StorageSettings): K8sObject[] {
    if (s.dynamic === "local-path") return localPath(s);
    if (s.dynamic === "nfs") return nfs(s);
    return [];
}
