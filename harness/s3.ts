/**
 * A real S3 server for tests: SeaweedFS (`weed server -s3`, built from its Go module by
 * scripts/build-engine.sh) on 127.0.0.1 ports of its own, data in a temp folder, stopped after.
 * No identities are configured, so it takes any credentials (a test server, never a real one).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawn, ChildProcess } from "child_process";
import { ENGINE_BIN } from "./paths";
import { freePort, stopProcess } from "./processes";

export const WEED = path.join(ENGINE_BIN, "weed");

export function s3Present(): boolean {
    return fs.existsSync(WEED);
}

export interface S3Server {
    /** `127.0.0.1:PORT`. */
    readonly endpoint: string;
    /** Creates a bucket. */
    bucket(name: string): Promise<void>;
    /** A Pulumi backend URL for a bucket of this server. */
    backendUrl(bucket: string): string;
    /** Environment a client needs (any credentials; a region). */
    readonly env: Record<string, string>;
    stop(): Promise<void>;
}

export async function startS3(): Promise<S3Server> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kfstack-s3-"));
    const ports: number[] = [];
    while (ports.length < 8) {
        const p = await freePort();
        if (!ports.includes(p)) ports.push(p);
    }
    const [master, masterGrpc, volume, volumeGrpc, filer, filerGrpc, s3, s3Grpc] = ports;
    const log = fs.openSync(path.join(dir, "log"), "w");
    const child: ChildProcess = spawn(
        WEED,
        [
            "server",
            `-dir=${dir}`,
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            `-master.port=${master}`,
            `-master.port.grpc=${masterGrpc}`,
            `-volume.port=${volume}`,
            `-volume.port.grpc=${volumeGrpc}`,
            `-filer.port=${filer}`,
            `-filer.port.grpc=${filerGrpc}`,
            "-s3",
            `-s3.port=${s3}`,
            `-s3.port.grpc=${s3Grpc}`,
            "-volume.max=8",
            "-master.volumeSizeLimitMB=64",
        ],
        { stdio: ["ignore", log, log] },
    );
    fs.closeSync(log);
    const endpoint = `127.0.0.1:${s3}`;
    const deadline = Date.now() + 60_000;
    for (;;) {
        const ok = await fetch(`http://${endpoint}/`)
            .then((r) => r.status === 200)
            .catch(() => false);
        if (ok) break;
        if (Date.now() > deadline || child.exitCode !== null) {
            child.kill("SIGKILL");
            throw new Error(`SeaweedFS did not start: ${fs.readFileSync(path.join(dir, "log"), "utf8").slice(-2000)}`);
        }
        await new Promise((r) => setTimeout(r, 250));
    }
    return {
        endpoint,
        env: { AWS_ACCESS_KEY_ID: "kfstack-test", AWS_SECRET_ACCESS_KEY: "kfstack-test", AWS_REGION: "us-east-1" },
        bucket: async (name) => {
            for (let i = 0; ; i++) {
                const r = await fetch(`http://${endpoint}/${name}`, { method: "PUT" });
                if (r.ok) return;
                // The filer may still be joining the master: retry for a few seconds.
                if (i > 40) throw new Error(`creating bucket ${name}: HTTP ${r.status} ${await r.text()}`);
                await new Promise((res) => setTimeout(res, 250));
            }
        },
        backendUrl: (bucket) => `s3://${bucket}?endpoint=${endpoint}&s3ForcePathStyle=true&disableSSL=true&region=us-east-1`,
        stop: async () => {
            await stopProcess(child);
            fs.rmSync(dir, { recursive: true, force: true });
        },
    };
}
