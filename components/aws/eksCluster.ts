import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import { EKS_DEFAULTS, EksSettings } from "../../lib/config";
import { KUBERNETES_PROVIDER_SETTINGS } from "../../lib/plan";
import {
    clusterTrustPolicy,
    eksKubeconfig,
    irsaTrustPolicy,
    IRSA_AUDIENCE,
    MANAGED_POLICIES,
    managedPolicyArn,
    nodeTrustPolicy,
    subnetPlan,
} from "../../lib/aws";

export interface EksClusterArgs extends Partial<EksSettings> {
    /** Zones for a new VPC's subnets (`usableZones` of the region's). Not used with `subnetIds`. @default [] */
    readonly availabilityZones?: readonly string[];
}

/**
 * An EKS cluster for Kubeflow, partition-correct by construction (every ARN from
 * `aws.getPartitionOutput()`, service principals from `lib/aws/principals`): a VPC with public
 * and private subnets per zone (or existing subnets), the cluster and node roles, a managed
 * node group, the OIDC provider, the EBS CSI driver add-on with its IRSA role, a default `gp3`
 * StorageClass, and a Kubernetes provider (tokens from `aws eks get-token`) for the platform.
 */
export class EksCluster extends pulumi.ComponentResource {
    public readonly clusterName: pulumi.Output<string>;
    /** `https://oidc.eks.<region>.<dnsSuffix>/id/<ID>`. */
    public readonly oidcIssuer: pulumi.Output<string>;
    public readonly oidcProviderArn: pulumi.Output<string>;
    public readonly nodeRoleArn: pulumi.Output<string>;
    public readonly kubeconfig: pulumi.Output<string>;
    /** The provider every Kubernetes object on this cluster is created with. */
    public readonly provider: k8s.Provider;

    constructor(name: string, args: EksClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("kfstack:aws:EksCluster", name, {}, opts);
        // Defaults of the reference install: those of `kfstack:cluster.*`.
        const a = { ...EKS_DEFAULTS, ...Object.fromEntries(Object.entries(args).filter(([, v]) => v !== undefined)) } as EksSettings & EksClusterArgs;
        const parent = { parent: this };
        const partition = aws.getPartitionOutput({}, parent).partition;
        const region = aws.getRegionOutput({}, parent).region;
        const account = aws.getCallerIdentityOutput({}, parent).accountId;
        const clusterTag = `kubernetes.io/cluster/${a.name}`;

        // Network: a new VPC, or the subnets given.
        let publicSubnets: pulumi.Input<string>[];
        let privateSubnets: pulumi.Input<string>[];
        if (a.subnetIds) {
            publicSubnets = a.subnetIds.public;
            privateSubnets = a.subnetIds.private;
        } else {
            const plan = subnetPlan(a.vpcCidr, a.availabilityZones ?? []);
            const vpc = new aws.ec2.Vpc(
                `${name}-vpc`,
                { cidrBlock: a.vpcCidr, enableDnsHostnames: true, enableDnsSupport: true, tags: { Name: `${a.name}-vpc` } },
                parent,
            );
            const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id }, parent);
            const publicRt = new aws.ec2.RouteTable(`${name}-public`, { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }] }, parent);
            const pub = plan.map(
                (p) =>
                    new aws.ec2.Subnet(
                        `${name}-public-${p.az}`,
                        {
                            vpcId: vpc.id,
                            cidrBlock: p.publicCidr,
                            availabilityZone: p.az,
                            mapPublicIpOnLaunch: true,
                            tags: { [clusterTag]: "shared", "kubernetes.io/role/elb": "1" },
                        },
                        parent,
                    ),
            );
            pub.forEach((s, i) => new aws.ec2.RouteTableAssociation(`${name}-public-${plan[i].az}`, { subnetId: s.id, routeTableId: publicRt.id }, parent));
            const eip = new aws.ec2.Eip(`${name}-nat`, { domain: "vpc" }, parent);
            const nat = new aws.ec2.NatGateway(`${name}-nat`, { subnetId: pub[0].id, allocationId: eip.id }, { parent: this, dependsOn: [igw] });
            const privateRt = new aws.ec2.RouteTable(`${name}-private`, { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: nat.id }] }, parent);
            const priv = plan.map(
                (p) =>
                    new aws.ec2.Subnet(
                        `${name}-private-${p.az}`,
                        {
                            vpcId: vpc.id,
                            cidrBlock: p.privateCidr,
                            availabilityZone: p.az,
                            tags: { [clusterTag]: "shared", "kubernetes.io/role/internal-elb": "1" },
                        },
                        parent,
                    ),
            );
            priv.forEach((s, i) => new aws.ec2.RouteTableAssociation(`${name}-private-${plan[i].az}`, { subnetId: s.id, routeTableId: privateRt.id }, parent));
            publicSubnets = pub.map((s) => s.id);
            privateSubnets = priv.map((s) => s.id);
        }

        // Roles, each with the partition's managed policies.
        const role = (suffix: string, trust: pulumi.Input<string>, policies: readonly string[]) => {
            const r = new aws.iam.Role(`${name}-${suffix}`, { assumeRolePolicy: trust }, parent);
            const attached = policies.map(
                (p) =>
                    new aws.iam.RolePolicyAttachment(
                        `${name}-${suffix}-${p.replace(/.*\//, "")}`,
                        { role: r.name, policyArn: partition.apply((part) => managedPolicyArn(part, p)) },
                        parent,
                    ),
            );
            return { role: r, attached };
        };
        const clusterRole = role("cluster", clusterTrustPolicy(), MANAGED_POLICIES.cluster);
        const nodeRole = role("node", partition.apply(nodeTrustPolicy), MANAGED_POLICIES.node);

        const cluster = new aws.eks.Cluster(
            `${name}-cluster`,
            {
                name: a.name,
                version: a.version,
                roleArn: clusterRole.role.arn,
                vpcConfig: { subnetIds: [...publicSubnets, ...privateSubnets], endpointPublicAccess: true, endpointPrivateAccess: true },
                accessConfig: { authenticationMode: "API_AND_CONFIG_MAP", bootstrapClusterCreatorAdminPermissions: true },
            },
            { parent: this, dependsOn: clusterRole.attached },
        );
        const nodes = new aws.eks.NodeGroup(
            `${name}-nodes`,
            {
                clusterName: cluster.name,
                nodeRoleArn: nodeRole.role.arn,
                subnetIds: privateSubnets,
                instanceTypes: [a.instanceType],
                diskSize: a.diskSizeGiB,
                scalingConfig: { desiredSize: a.desiredSize, minSize: a.minSize, maxSize: a.maxSize },
                ...(a.sshKeyName ? { remoteAccess: { ec2SshKey: a.sshKeyName } } : {}),
            },
            { parent: this, dependsOn: nodeRole.attached },
        );
        const issuer = cluster.identities.apply((ids) => ids[0].oidcs?.[0]?.issuer ?? "");
        const oidc = new aws.iam.OpenIdConnectProvider(`${name}-oidc`, { url: issuer, clientIdLists: [IRSA_AUDIENCE] }, parent);

        // The EBS CSI driver (Kubeflow's volumes) with its own IRSA role.
        const ebs = role(
            "ebs-csi",
            pulumi.all([partition, account, issuer]).apply(([p, acct, iss]) => irsaTrustPolicy(p, acct, iss, "kube-system", "ebs-csi-controller-sa")),
            MANAGED_POLICIES.ebsCsi,
        );
        const addon = new aws.eks.Addon(
            `${name}-ebs-csi`,
            { clusterName: cluster.name, addonName: "aws-ebs-csi-driver", serviceAccountRoleArn: ebs.role.arn, resolveConflictsOnCreate: "OVERWRITE" },
            { parent: this, dependsOn: [nodes, ...ebs.attached, oidc] },
        );

        this.kubeconfig = pulumi.secret(
            pulumi.all([cluster.name, cluster.endpoint, cluster.certificateAuthority, region]).apply(([n, e, ca, r]) => eksKubeconfig(n, e, ca.data ?? "", r)),
        );
        this.provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: this.kubeconfig, ...KUBERNETES_PROVIDER_SETTINGS }, { parent: this, dependsOn: [nodes] });
        // Kubeflow's claims (and every notebook's volume) need a default class.
        new k8s.storage.v1.StorageClass(
            `${name}-gp3`,
            {
                metadata: { name: "gp3", annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
                provisioner: "ebs.csi.aws.com",
                parameters: { type: "gp3", encrypted: "true" },
                volumeBindingMode: "WaitForFirstConsumer",
                allowVolumeExpansion: true,
                reclaimPolicy: "Delete",
            },
            { parent: this, provider: this.provider, dependsOn: [addon] },
        );
        this.clusterName = cluster.name;
        this.oidcIssuer = issuer;
        this.oidcProviderArn = oidc.arn;
        this.nodeRoleArn = nodeRole.role.arn;
        this.registerOutputs({
            clusterName: this.clusterName,
            oidcIssuer: this.oidcIssuer,
            oidcProviderArn: this.oidcProviderArn,
            nodeRoleArn: this.nodeRoleArn,
        });
    }
}
