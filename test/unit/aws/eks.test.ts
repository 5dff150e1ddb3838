/**
 * EKS in aws-cn and in aws under mocks (nothing hard-coded to one partition), and the pure
 * rules behind it.
 */
import * as assert from "assert";
import { useMocks, recordRegistrations, settle, promise, awsMocks } from "../../../harness/mocks";
import { EksCluster, KubeflowIrsa } from "../../../components/aws";
import { allowsEveryAction, eksKubeconfig, irsaTrustPolicy, kubeflowRoleNames, nodeTrustPolicy, subnetPlan, usableZones } from "../../../lib/aws";

for (const [partition, region, suffix] of [
    ["aws-cn", "cn-northwest-1", "amazonaws.com.cn"],
    ["aws", "us-west-2", "amazonaws.com"],
] as const) {
    describe(`EksCluster and KubeflowIrsa in ${partition} (${region})`, () => {
        it("builds every ARN and host from the partition, with the reference install's sizes", async () => {
            const mocks = useMocks({}, awsMocks(partition, region).invokes, "unit", false, awsMocks(partition, region).outputs);
            const registrations = recordRegistrations();
            const zones = [`${region}a`, `${region}b`, `${region}c`];
            const eks = new EksCluster("eks", { name: "kf", availabilityZones: zones });
            const irsa = new KubeflowIrsa(
                "irsa",
                {
                    clusterName: eks.clusterName,
                    oidcIssuer: eks.oidcIssuer,
                    adminPolicies: [{ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }] }],
                },
                { providers: { kubernetes: eks.provider } },
            );
            const issuer = await promise(eks.oidcIssuer);
            await promise(irsa.userRoleArn);
            await settle();
            const all = JSON.stringify(mocks.resources.map((r) => [r.type, r.inputs]));
            if (partition === "aws-cn") assert.ok(!all.includes("arn:aws:"), "no arn:aws: in China");
            else assert.ok(!all.includes("amazonaws.com.cn") && !all.includes("arn:aws-cn"), "nothing of China outside it");
            assert.equal(issuer, `https://oidc.eks.${region}.${suffix}/id/0123456789ABCDEF`);

            const of = (t: string) => mocks.resources.filter((r) => r.type === t);
            const [group] = of("aws:eks/nodeGroup:NodeGroup");
            assert.deepEqual(group.inputs.scalingConfig, { desiredSize: 4, minSize: 1, maxSize: 6 });
            assert.deepEqual(group.inputs.instanceTypes, ["t3.medium"]);
            assert.equal(group.inputs.diskSize, 100);
            assert.equal(group.inputs.subnetIds.length, 3, "nodes in the private subnets, one per zone");
            assert.equal(of("aws:ec2/subnet:Subnet").length, 6);

            const roles = of("aws:iam/role:Role");
            const trust = (name: string) => JSON.parse(roles.find((r) => r.name === name)?.inputs.assumeRolePolicy);
            assert.deepEqual(trust("eks-cluster").Statement[0].Principal, { Service: "eks.amazonaws.com" }, "the EKS principal is .com in every partition");
            assert.deepEqual(
                trust("eks-node").Statement[0].Principal.Service,
                partition === "aws-cn" ? ["ec2.amazonaws.com", "ec2.amazonaws.com.cn"] : ["ec2.amazonaws.com"],
            );
            const policies = of("aws:iam/rolePolicyAttachment:RolePolicyAttachment").map((r) => r.inputs.policyArn);
            assert.ok(policies.includes(`arn:${partition}:iam::aws:policy/AmazonEKSWorkerNodePolicy`));
            assert.ok(policies.includes(`arn:${partition}:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy`));

            const host = `oidc.eks.${region}.${suffix}/id/0123456789ABCDEF`;
            const admin = roles.find((r) => r.name === "irsa-kf-admin");
            assert.equal(admin?.inputs.name, `kf-admin-${region}-kf`);
            assert.equal(roles.find((r) => r.name === "irsa-kf-user")?.inputs.name, `kf-user-${region}-kf`);
            const stmt = JSON.parse(admin?.inputs.assumeRolePolicy).Statement[0];
            assert.equal(stmt.Principal.Federated, `arn:${partition}:iam::123456789012:oidc-provider/${host}`);
            assert.deepEqual(stmt.Condition.StringEquals, { [`${host}:sub`]: "system:serviceaccount:kubeflow:kf-admin", [`${host}:aud`]: "sts.amazonaws.com" });
            const ebsTrust = JSON.parse(trust("eks-ebs-csi").Statement ? JSON.stringify(trust("eks-ebs-csi")) : "{}");
            assert.equal(ebsTrust.Statement[0].Condition.StringEquals[`${host}:sub`], "system:serviceaccount:kube-system:ebs-csi-controller-sa");
            assert.equal(of("aws:iam/rolePolicy:RolePolicy").length, 1, "kf-admin's inline policy; kf-user has none by default");

            const sas = mocks.kubernetes().filter((r) => r.type === "kubernetes:core/v1:ServiceAccount");
            assert.deepEqual(sas.map((s) => `${s.inputs.metadata.namespace}/${s.inputs.metadata.name}`).sort(), ["kubeflow/kf-admin", "kubeflow/kf-user"]);
            assert.equal(
                sas.find((s) => s.inputs.metadata.name === "kf-user")?.inputs.metadata.annotations["eks.amazonaws.com/role-arn"],
                `arn:${partition}:iam::123456789012:role/kf-user-${region}-kf`,
            );
            const [sc] = mocks.kubernetes().filter((r) => r.type === "kubernetes:storage.k8s.io/v1:StorageClass");
            assert.equal(sc.inputs.metadata.annotations["storageclass.kubernetes.io/is-default-class"], "true");
            assert.equal(sc.inputs.parameters.type, "gp3");
            assert.equal(sc.inputs.provisioner, "ebs.csi.aws.com");
            const providerUrn = registrations.find((r) => r.type === "pulumi:providers:kubernetes")?.urn as string;
            assert.ok(
                mocks.kubernetes().every((r) => r.provider?.startsWith(providerUrn)),
                "every Kubernetes object goes to the cluster's provider",
            );
            const kubeconfig = JSON.parse(await promise(eks.kubeconfig));
            assert.deepEqual(kubeconfig.users[0].user.exec.args, ["eks", "get-token", "--region", region, "--cluster-name", "kf", "--output", "json"]);
            assert.equal(kubeconfig.clusters[0].cluster.server, `https://ABC.gr7.${region}.eks.${suffix}`);
        });
    });
}

describe("EKS rules", () => {
    it("trust policies, names, subnets, zones, kubeconfig, wildcard actions", () => {
        assert.deepEqual(JSON.parse(nodeTrustPolicy("aws")).Statement[0].Principal.Service, ["ec2.amazonaws.com"]);
        const t = JSON.parse(irsaTrustPolicy("aws-cn", "1", "https://oidc.eks.cn-north-1.amazonaws.com.cn/id/X", "kubeflow", "kf-user")).Statement[0];
        assert.equal(t.Principal.Federated, "arn:aws-cn:iam::1:oidc-provider/oidc.eks.cn-north-1.amazonaws.com.cn/id/X");
        assert.deepEqual(kubeflowRoleNames("cn-northwest-1", "kf"), { admin: "kf-admin-cn-northwest-1-kf", user: "kf-user-cn-northwest-1-kf" });
        assert.throws(() => kubeflowRoleNames("cn-northwest-1", "x".repeat(60)), /shorten kfstack:cluster\.name/);
        assert.deepEqual(subnetPlan("10.1.0.0/16", ["a", "b"]), [
            { az: "a", publicCidr: "10.1.0.0/20", privateCidr: "10.1.128.0/20" },
            { az: "b", publicCidr: "10.1.16.0/20", privateCidr: "10.1.144.0/20" },
        ]);
        assert.throws(() => subnetPlan("10.1.0.0/24", ["a"]), /kfstack:cluster\.vpcCidr/);
        assert.deepEqual(usableZones(["cn-north-1a", "cn-north-1b", "cn-north-1d"], ["cn-north-1d"]), ["cn-north-1a", "cn-north-1b"]);
        assert.throws(() => usableZones(["cn-north-1a"], ["cn-north-1z"]), /kfstack:cluster\.excludeAzs names cn-north-1z/);
        assert.equal(JSON.parse(eksKubeconfig("kf", "https://e", "Q0E=", "cn-northwest-1")).users[0].user.exec.command, "aws");
        assert.equal(allowsEveryAction(JSON.stringify({ Statement: [{ Effect: "Allow", Action: ["s3:GetObject", "*"] }] })), true);
        assert.equal(allowsEveryAction(JSON.stringify({ Statement: { Effect: "Allow", Action: "s3:*" } })), false);
    });
});
