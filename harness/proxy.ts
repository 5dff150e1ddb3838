/**
 * A reverse proxy in front of a test registry, on its own 127.0.0.1 port: it counts what
 * crosses it (request body bytes, finished blob uploads per digest) and, when asked, makes
 * trouble — resets connections, answers 503 or 429, stalls requests, or never answers —
 * for a fraction of requests, drawn from a seeded generator.
 */
import * as http from "http";
import * as net from "net";
import { Transform } from "stream";
import { freePort } from "./processes";

export interface Faults {
    /** Fraction of requests whose connection is reset before any answer. */
    readonly reset?: number;
    /** Fraction answered 503 Service Unavailable. */
    readonly unavailable?: number;
    /** Fraction answered 429 Too Many Requests. */
    readonly tooMany?: number;
    /** Fraction held `stallMs` before being forwarded. */
    readonly stall?: number;
    readonly stallMs?: number;
    /** Fraction never answered (the client must time out). */
    readonly hang?: number;
    /** Requests that are never faulted (`GET /v2/` pings), by path. */
    readonly spare?: (method: string, url: string) => boolean;
    readonly seed?: number;
}

/**
 * A far link, for the benchmark: each request waits `requestMs` before it is forwarded (a
 * round trip), the first on a new connection `connectMs` more (TCP and TLS set-up), and the
 * bytes of request and response bodies share `bytesPerSecond` per direction.
 */
export interface Link {
    readonly requestMs: number;
    readonly connectMs: number;
    readonly bytesPerSecond: number;
}

/** A shared budget of bytes per second: each chunk waits for its turn. */
class Pace {
    private free = 0;
    constructor(private readonly bytesPerMs: number) {}
    /** Milliseconds to wait before `n` more bytes may pass. */
    reserve(n: number): number {
        const now = performance.now();
        const start = Math.max(now, this.free);
        this.free = start + n / this.bytesPerMs;
        return this.free - now;
    }
}

/** Paces a stream through a budget. */
function paced(pace: Pace): Transform {
    return new Transform({
        transform(chunk: Buffer, _enc, done) {
            const wait = pace.reserve(chunk.length);
            if (wait < 1) return done(null, chunk);
            setTimeout(() => done(null, chunk), wait);
        },
    });
}

export interface ProxyStats {
    requests: number;
    faults: number;
    /** Request body bytes of PUT/PATCH/POST (what was uploaded through the proxy). */
    uploadedBytes: number;
    /** Request body bytes of blob uploads (PUT/PATCH …/blobs/uploads/…). */
    blobBytes: number;
    /** Finished blob uploads (PUT …/blobs/uploads/…?digest=D), per digest. */
    blobUploads: Map<string, number>;
    /** Cross-repository mounts that succeeded (201), per digest. */
    mounts: Map<string, number>;
    /** Manifests stored (PUT …/manifests/…). */
    manifestPuts: number;
    /** Connections opened to the proxy. */
    connections: number;
    /** Response body bytes sent back (what was downloaded through the proxy). */
    downloadedBytes: number;
}

export interface Proxy {
    readonly host: string;
    stats: ProxyStats;
    faults: Faults;
    reset(): void;
    stop(): Promise<void>;
}

/** A small seeded generator (mulberry32), so a failing fault test can be replayed. */
export function seeded(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

function emptyStats(): ProxyStats {
    return {
        requests: 0,
        faults: 0,
        uploadedBytes: 0,
        blobBytes: 0,
        blobUploads: new Map(),
        mounts: new Map(),
        manifestPuts: 0,
        connections: 0,
        downloadedBytes: 0,
    };
}

export async function startProxy(target: string, faults: Faults = {}, link?: Link): Promise<Proxy> {
    const uploadPace = link ? new Pace(link.bytesPerSecond / 1000) : undefined;
    const answerPace = link ? new Pace(link.bytesPerSecond / 1000) : undefined;
    const fresh = new WeakSet<net.Socket>();
    const port = await freePort();
    const [targetHost, targetPort] = target.split(":");
    let random = seeded(faults.seed ?? 1);
    const sockets = new Set<net.Socket>();
    const hung = new Set<http.ServerResponse>();
    const proxy: Proxy = {
        host: `127.0.0.1:${port}`,
        stats: emptyStats(),
        faults,
        reset() {
            this.stats = emptyStats();
            random = seeded(this.faults.seed ?? 1);
        },
        stop: async () => {
            for (const r of hung) r.destroy();
            for (const s of sockets) s.destroy();
            await new Promise((r) => server.close(r));
        },
    } as Proxy;
    const server = http.createServer((req, res) => {
        const stats = proxy.stats;
        const f = proxy.faults;
        stats.requests++;
        const url = req.url ?? "/";
        const spared = f.spare?.(req.method ?? "GET", url) ?? url === "/v2/";
        const roll = spared ? 1 : random();
        let edge = 0;
        const hit = (p: number | undefined): boolean => {
            const lo = edge;
            edge += p ?? 0;
            return roll >= lo && roll < edge;
        };
        if (hit(f.reset)) {
            stats.faults++;
            req.socket.destroy();
            return;
        }
        if (hit(f.unavailable) || hit(f.tooMany)) {
            stats.faults++;
            const status = roll < (f.reset ?? 0) + (f.unavailable ?? 0) ? 503 : 429;
            req.resume();
            res.writeHead(status, { "content-type": "application/json", "retry-after": "0" });
            res.end(JSON.stringify({ errors: [{ code: status === 429 ? "TOOMANYREQUESTS" : "UNAVAILABLE", message: "injected by the test proxy" }] }));
            return;
        }
        if (hit(f.hang)) {
            stats.faults++;
            hung.add(res);
            req.resume();
            return;
        }
        const delay = hit(f.stall) ? (f.stallMs ?? 1000) : 0;
        if (delay) stats.faults++;
        const forward = (): void => {
            const upstream = http.request({ host: targetHost, port: Number(targetPort), method: req.method, path: url, headers: req.headers }, (up) => {
                if (req.method === "POST" && /[?&]mount=/.test(url) && up.statusCode === 201) {
                    const d = decodeURIComponent(/[?&]mount=([^&]+)/.exec(url)?.[1] ?? "");
                    stats.mounts.set(d, (stats.mounts.get(d) ?? 0) + 1);
                }
                if (req.method === "PUT" && /\/blobs\/uploads\//.test(url) && up.statusCode === 201) {
                    const d = decodeURIComponent(/[?&]digest=([^&]+)/.exec(url)?.[1] ?? "");
                    stats.blobUploads.set(d, (stats.blobUploads.get(d) ?? 0) + 1);
                }
                if (req.method === "PUT" && /\/manifests\//.test(url) && up.statusCode === 201) stats.manifestPuts++;
                res.writeHead(up.statusCode ?? 502, up.headers);
                up.on("data", (c: Buffer) => (stats.downloadedBytes += c.length));
                if (answerPace) up.pipe(paced(answerPace)).pipe(res);
                else up.pipe(res);
            });
            upstream.on("error", () => res.destroy());
            req.on("data", (c: Buffer) => {
                if (req.method === "PUT" || req.method === "PATCH" || req.method === "POST") stats.uploadedBytes += c.length;
                if ((req.method === "PUT" || req.method === "PATCH") && url.includes("/blobs/uploads/")) stats.blobBytes += c.length;
            });
            if (uploadPace) req.pipe(paced(uploadPace)).pipe(upstream);
            else req.pipe(upstream);
        };
        const far = link ? link.requestMs + (fresh.has(req.socket) ? 0 : link.connectMs) : 0;
        if (link) fresh.add(req.socket);
        if (delay + far) setTimeout(forward, delay + far);
        else forward();
    });
    server.on("connection", (s) => {
        proxy.stats.connections++;
        sockets.add(s);
        s.on("close", () => sockets.delete(s));
    });
    await new Promise<void>((r) => server.listen(port, "127.0.0.1", () => r()));
    return proxy;
}
