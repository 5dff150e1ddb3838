/**
 * A small client of the OCI distribution API (https://github.com/opencontainers/distribution-spec,
 * spec.md): what kfstack needs around the copier — a manifest's digest (HEAD), a manifest's
 * body (GET), whether a blob is there, cross-repository blob mounts — plus the pushes the
 * tests seed registries with. Authentication: Basic, and Bearer tokens from the realm the
 * registry names in `WWW-Authenticate` (Docker Hub, Harbor, ECR's Basic).
 */
import * as crypto from "crypto";
import * as http from "http";
import * as https from "https";
import { Readable } from "stream";
import { KfstackError } from "../core/errors";
import { InterruptedError, stopSignal, throwIfStopped, withStop } from "../core/interrupt";
import type { Credentials } from "../core/credentials";
import { DOCKER_HUB } from "../images/reference";
import { Classified, RetryPolicy, withRetries } from "./retry";

export const MEDIA = {
    ociIndex: "application/vnd.oci.image.index.v1+json",
    ociManifest: "application/vnd.oci.image.manifest.v1+json",
    dockerList: "application/vnd.docker.distribution.manifest.list.v2+json",
    dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
    dockerSchema1Signed: "application/vnd.docker.distribution.manifest.v1+prettyjws",
    dockerSchema1: "application/vnd.docker.distribution.manifest.v1+json",
} as const;

/** Every manifest type, so a registry answers with the stored manifest, never a converted one. */
export const MANIFEST_ACCEPT = Object.values(MEDIA).join(", ");

export function isIndexType(mediaType: string): boolean {
    return mediaType === MEDIA.ociIndex || mediaType === MEDIA.dockerList;
}

export type { Credentials };

/** A registry and how to reach it. */
export interface Endpoint {
    /** `registry.example.com:5000`, as written in image references (`docker.io` for Docker Hub). */
    readonly host: string;
    /**
     * Speak plain HTTP instead of HTTPS (a test or lab registry).
     * @default false
     */
    readonly plainHttp?: boolean;
    readonly credentials?: Credentials;
    /** What turns plain HTTP on for this registry, for the error when it answers HTTPS with HTTP (`--plain-http`). @default none */
    readonly plainHttpSwitch?: string;
}

/** A registry call that failed; `retryable` for 429, 5xx, resets and time-outs. */
export class RegistryError extends KfstackError implements Classified {
    constructor(
        message: string,
        readonly retryable: boolean,
        readonly status?: number,
    ) {
        super(message);
    }
}

/** A manifest as the registry serves it. */
export interface ManifestInfo {
    readonly digest: string;
    readonly mediaType: string;
    readonly size: number;
    /** The exact bytes (GET only). */
    readonly body?: Buffer;
}

export interface ClientOptions {
    /**
     * Time-out of one HTTP request, in milliseconds.
     * @default 30000
     */
    readonly timeoutMs?: number;
    /** Retries of each request on 429, 5xx, resets and time-outs. */
    readonly retry?: RetryPolicy;
    /** Hears of each retry. */
    readonly onRetry?: (what: string, error: unknown) => void;
}

export function sha256Digest(data: Buffer | string): string {
    return "sha256:" + crypto.createHash("sha256").update(data).digest("hex");
}

/** The API host of a registry as written in references (Docker Hub's API lives elsewhere). */
export function apiHost(host: string): string {
    return host === DOCKER_HUB ? "registry-1.docker.io" : host;
}

function describeFailure(e: unknown, timeoutMs: number): string {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    const cause = err.cause;
    if (err.name === "TimeoutError" || err.name === "AbortError") return `no answer within ${Math.round(timeoutMs / 1000)} s`;
    if (cause?.code) return `${cause.code}${cause.message ? ` (${cause.message})` : ""}`;
    return cause?.message ?? err.message;
}

/** Whether a failed HTTPS request met a server speaking plain HTTP (OpenSSL's "wrong version number"). */
function answersPlainHttp(e: unknown): boolean {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    return cause?.code === "ERR_SSL_WRONG_VERSION_NUMBER" || /wrong version number|HTTP response to HTTPS client/i.test(cause?.message ?? "");
}

/** Parses `Bearer realm="...",service="...",scope="..."`. */
export function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
    const space = header.indexOf(" ");
    const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
    const params: Record<string, string> = {};
    const re = /([a-zA-Z_]+)="([^"]*)"/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(header.slice(space + 1)))) params[m[1].toLowerCase()] = m[2];
    return { scheme, params };
}

/**
 * Kept-alive connections for blob bytes: a far registry costs a round trip or two per new
 * connection (TCP, TLS), so every blob reuses an open one. `fetch` keeps its own pool for
 * the small requests; blobs go through node:http, whose streams pipe without the copies a
 * web stream makes.
 */
const AGENTS = { "http:": new http.Agent({ keepAlive: true, scheduling: "lifo" }), "https:": new https.Agent({ keepAlive: true, scheduling: "lifo" }) };

/** The blob's bytes did not hash to its digest (or were not its size): never retried, never stored. */
export class BlobDigestError extends KfstackError implements Classified {
    readonly retryable = false;
}

export class RegistryClient {
    private readonly base: string;
    private readonly tokens = new Map<string, string>();
    private basic = false;
    private readonly timeoutMs: number;

    constructor(
        readonly endpoint: Endpoint,
        private readonly options: ClientOptions = {},
    ) {
        this.base = `${endpoint.plainHttp ? "http" : "https"}://${apiHost(endpoint.host)}`;
        this.timeoutMs = options.timeoutMs ?? 30_000;
    }

    /** One request, authenticated on demand, retried on transient failures. */
    async request(
        method: string,
        pathOrUrl: string,
        init: { headers?: Record<string, string>; body?: Buffer; scope: string; ok?: number[] },
    ): Promise<Response> {
        const url = pathOrUrl.startsWith("http") ? pathOrUrl : this.base + pathOrUrl;
        const what = `${method} ${url}`;
        return withRetries(
            async () => {
                let sent = this.authorization(init.scope);
                let res = await this.send(method, url, init.headers, init.body, sent);
                for (let round = 0; res.status === 401; round++) {
                    await res.arrayBuffer().catch(() => undefined);
                    // Credentials that were sent and refused, or a fresh token refused: no use retrying.
                    if (round > 0 || sent?.startsWith("Basic ")) throw this.refused(init.scope);
                    const now = this.authorization(init.scope);
                    // Another request authenticated meanwhile: try with what it got.
                    if (now === sent || now === undefined) await this.authenticate(res.headers.get("www-authenticate") ?? "", init.scope);
                    sent = this.authorization(init.scope);
                    res = await this.send(method, url, init.headers, init.body, sent);
                }
                if (res.status === 429 || res.status >= 500) {
                    await res.arrayBuffer().catch(() => undefined);
                    throw new RegistryError(`${what}: HTTP ${res.status}`, true, res.status);
                }
                return res;
            },
            this.options.retry,
            (e) => this.options.onRetry?.(what, e),
        );
    }

    private async send(
        method: string,
        url: string,
        headers: Record<string, string> = {},
        body: Buffer | undefined,
        auth: string | undefined,
    ): Promise<Response> {
        try {
            return await fetch(url, {
                method,
                headers: { ...headers, ...(auth ? { authorization: auth } : {}) },
                body,
                redirect: "follow",
                signal: withStop(AbortSignal.timeout(this.timeoutMs)),
            });
        } catch (e) {
            throwIfStopped(`${method} ${url}`);
            if (!this.endpoint.plainHttp && answersPlainHttp(e)) throw this.plainHttpError();
            throw new RegistryError(`${method} ${url}: ${describeFailure(e, this.timeoutMs)}`, true);
        }
    }

    /**
     * One raw HTTP exchange over a kept-alive connection, for blob bytes: the body (if any) is
     * streamed, the answer handed over unread. No retries here (a streamed body cannot be
     * sent twice); a 401 on a request without a body is answered once with fresh credentials,
     * and redirects of a GET are followed (blob storage: S3 for ECR), without the registry's
     * credentials when they leave its origin.
     */
    async exchange(
        method: "GET" | "PUT",
        pathOrUrl: string,
        init: { scope: string; headers?: Record<string, string>; body?: Readable },
    ): Promise<http.IncomingMessage> {
        let url = new URL(pathOrUrl.startsWith("http") ? pathOrUrl : this.base + pathOrUrl);
        const origin = new URL(this.base).origin;
        for (let hop = 0, authenticated = false; ; hop++) {
            const auth = url.origin === origin ? this.authorization(init.scope) : undefined;
            const res = await this.rawOnce(method, url, { ...init.headers, ...(auth ? { authorization: auth } : {}) }, init.body);
            if (res.statusCode === 401 && !init.body && !authenticated && url.origin === origin) {
                res.resume();
                if (auth?.startsWith("Basic ")) throw this.refused(init.scope);
                await this.authenticate(String(res.headers["www-authenticate"] ?? ""), init.scope);
                authenticated = true;
                continue;
            }
            const status = res.statusCode ?? 0;
            if (method === "GET" && status >= 300 && status < 400 && res.headers.location && hop < 5) {
                res.resume();
                url = new URL(res.headers.location, url);
                continue;
            }
            if (status === 429 || status >= 500) {
                res.resume();
                throw new RegistryError(`${method} ${url.origin}${url.pathname}: HTTP ${status}`, true, status);
            }
            return res;
        }
    }

    private rawOnce(method: string, url: URL, headers: Record<string, string>, body: Readable | undefined): Promise<http.IncomingMessage> {
        const lib = url.protocol === "https:" ? https : http;
        const what = `${method} ${url.origin}${url.pathname}`;
        throwIfStopped(what);
        return new Promise((resolve, reject) => {
            let bodyError: unknown;
            const req = lib.request(url, { method, headers, agent: AGENTS[url.protocol as "http:" | "https:"], signal: withStop() }, resolve);
            // A connection that moves nothing for the request time-out is a stalled one.
            req.setTimeout(this.timeoutMs, () => req.destroy(new RegistryError(`${what}: no data within ${Math.round(this.timeoutMs / 1000)} s`, true)));
            req.on("error", (e) => {
                if (bodyError) return reject(bodyError);
                if (stopSignal.aborted) return reject(new InterruptedError(what));
                if (e instanceof RegistryError) return reject(e);
                if (!this.endpoint.plainHttp && answersPlainHttp({ cause: e })) return reject(this.plainHttpError());
                const code = (e as { code?: string }).code;
                reject(new RegistryError(`${what}: ${code ?? e.message}${code && e.message && !e.message.includes(code) ? ` (${e.message})` : ""}`, true));
            });
            if (!body) return void req.end();
            body.on("error", (e) => {
                bodyError = e;
                req.destroy(e);
            });
            body.pipe(req);
        });
    }

    /** A registry that speaks plain HTTP answers the TLS handshake with an HTTP response: no retry helps, the fix is one switch. */
    private plainHttpError(): RegistryError {
        return new RegistryError(
            `${this.endpoint.host} answers plain HTTP, not HTTPS${this.endpoint.plainHttpSwitch ? `: add ${this.endpoint.plainHttpSwitch}` : ""}`,
            false,
        );
    }

    private authorization(scope: string): string | undefined {
        const token = this.tokens.get(scope);
        if (token) return `Bearer ${token}`;
        const c = this.endpoint.credentials;
        if (this.basic && c) return "Basic " + Buffer.from(`${c.username}:${c.password}`).toString("base64");
        return undefined;
    }

    private refused(scope: string): RegistryError {
        const c = this.endpoint.credentials;
        return new RegistryError(
            `${this.endpoint.host} refused ${c ? `the credentials of ${c.username}` : "access without credentials"} (${scope}); give an auth file with credentials for ${this.endpoint.host} (--src-authfile/--dest-authfile, or the stack's mirror credentials)`,
            false,
            401,
        );
    }

    private async authenticate(header: string, scope: string): Promise<void> {
        const { scheme, params } = parseChallenge(header);
        const c = this.endpoint.credentials;
        if (scheme === "basic") {
            if (!c) throw this.refused(scope);
            this.basic = true;
            return;
        }
        if (scheme !== "bearer" || !params.realm)
            throw new RegistryError(`${this.endpoint.host} asks for unsupported authentication ${JSON.stringify(header)}`, false, 401);
        const url = new URL(params.realm);
        if (params.service) url.searchParams.set("service", params.service);
        url.searchParams.set("scope", scope);
        const headers: Record<string, string> = {};
        if (c) headers.authorization = "Basic " + Buffer.from(`${c.username}:${c.password}`).toString("base64");
        let res: Response;
        try {
            res = await fetch(url, { headers, signal: withStop(AbortSignal.timeout(this.timeoutMs)) });
        } catch (e) {
            throwIfStopped(`asking ${url.origin} for a token`);
            throw new RegistryError(`token from ${url.origin}: ${describeFailure(e, this.timeoutMs)}`, true);
        }
        if (!res.ok) throw new RegistryError(`token from ${url.origin} for ${scope}: HTTP ${res.status}`, res.status === 429 || res.status >= 500, res.status);
        const text = await res.text();
        let body: { token?: string; access_token?: string };
        try {
            body = JSON.parse(text) as { token?: string; access_token?: string };
        } catch {
            throw new RegistryError(
                `token from ${url.origin} for ${this.endpoint.host}: the answer is not JSON (${res.headers.get("content-type") ?? "no content type"}, ${text.length} bytes); is ${params.realm} the registry's token service?`,
                false,
            );
        }
        const token = body.token ?? body.access_token;
        if (!token) throw new RegistryError(`token from ${url.origin}: the answer has no token`, false);
        this.tokens.set(scope, token);
    }

    /** The manifest's digest, type and size (HEAD), or undefined when the registry has none. */
    async headManifest(repository: string, reference: string): Promise<ManifestInfo | undefined> {
        const res = await this.request("HEAD", `/v2/${repository}/manifests/${reference}`, {
            headers: { accept: MANIFEST_ACCEPT },
            scope: `repository:${repository}:pull`,
        });
        if (res.status === 404) return undefined;
        this.expectOk(res, `HEAD manifest ${repository}:${reference}`);
        const digest = res.headers.get("docker-content-digest");
        // A registry that gives no digest on HEAD (some do not) is asked for the body, which is hashed.
        if (!digest) return this.getManifest(repository, reference);
        return { digest, mediaType: (res.headers.get("content-type") ?? "").split(";")[0], size: Number(res.headers.get("content-length") ?? 0) };
    }

    /** The manifest's exact bytes; its digest is computed from them, not taken on trust. */
    async getManifest(repository: string, reference: string): Promise<ManifestInfo | undefined> {
        const res = await this.request("GET", `/v2/${repository}/manifests/${reference}`, {
            headers: { accept: MANIFEST_ACCEPT },
            scope: `repository:${repository}:pull`,
        });
        if (res.status === 404) return undefined;
        this.expectOk(res, `GET manifest ${repository}:${reference}`);
        const body = Buffer.from(await res.arrayBuffer());
        const digest = sha256Digest(body);
        if (reference.startsWith("sha256:") && reference !== digest) {
            throw new RegistryError(`${this.endpoint.host}/${repository}@${reference}: the registry served a manifest whose digest is ${digest}`, false);
        }
        return { digest, mediaType: (res.headers.get("content-type") ?? "").split(";")[0], size: body.length, body };
    }

    async blobExists(repository: string, digest: string): Promise<boolean> {
        const res = await this.request("HEAD", `/v2/${repository}/blobs/${digest}`, { scope: `repository:${repository}:pull` });
        if (res.status === 404) return false;
        this.expectOk(res, `HEAD blob ${repository}@${digest}`);
        return true;
    }

    /** A blob's bytes, as a response to stream from (redirects to blob storage followed). */
    async getBlob(repository: string, digest: string): Promise<Response> {
        const res = await this.request("GET", `/v2/${repository}/blobs/${digest}`, { scope: `repository:${repository}:pull` });
        if (!res.ok) await res.arrayBuffer().catch(() => undefined);
        this.expectOk(res, `GET blob ${repository}@${digest}`);
        return res;
    }

    /**
     * Mounts a blob the registry holds in another repository (spec: "Mounting a blob from
     * another repository"); true when mounted. A registry that does not mount starts an upload
     * instead (202), which is cancelled.
     */
    async mountBlob(repository: string, digest: string, from: string): Promise<boolean> {
        const res = await this.request("POST", `/v2/${repository}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`, {
            scope: `repository:${repository}:pull,push repository:${from}:pull`,
        });
        await res.arrayBuffer().catch(() => undefined);
        if (res.status === 201) return true;
        const location = res.headers.get("location");
        if (res.status === 202 && location) {
            await this.request("DELETE", new URL(location, this.base).toString(), { scope: `repository:${repository}:pull,push` })
                .then((r) => r.arrayBuffer())
                .catch(() => undefined);
        }
        return false;
    }

    /** Starts an upload (POST); the URL to PUT the bytes to, with the digest set. */
    async startUpload(repository: string, digest: string): Promise<string> {
        const start = await this.request("POST", `/v2/${repository}/blobs/uploads/`, { scope: `repository:${repository}:pull,push` });
        await start.arrayBuffer();
        this.expectOk(start, `start upload to ${repository}`, [202]);
        const location = new URL(start.headers.get("location") ?? "", this.base);
        location.searchParams.set("digest", digest);
        return location.toString();
    }

    /** Uploads a blob in one request (POST, then PUT with the digest); returns its digest. */
    async pushBlob(repository: string, data: Buffer): Promise<string> {
        const digest = sha256Digest(data);
        if (await this.blobExists(repository, digest)) return digest;
        const scope = `repository:${repository}:pull,push`;
        const location = await this.startUpload(repository, digest);
        const put = await this.request("PUT", location, { scope, body: data, headers: { "content-type": "application/octet-stream" } });
        await put.arrayBuffer();
        this.expectOk(put, `upload ${digest} to ${repository}`, [201]);
        return digest;
    }

    /**
     * Stores a manifest under a tag or its digest; returns its digest. The digest the registry
     * answers with (`Docker-Content-Digest`) must be the one of the bytes sent: a registry that
     * stored something else is an error, never a success. `confirmed` says it answered one.
     */
    async putManifest(repository: string, reference: string, body: Buffer, mediaType: string): Promise<string> {
        return (await this.storeManifest(repository, reference, body, mediaType)).digest;
    }

    /** putManifest, telling whether the registry confirmed the digest it stored. */
    async storeManifest(repository: string, reference: string, body: Buffer, mediaType: string): Promise<{ digest: string; confirmed: boolean }> {
        const res = await this.request("PUT", `/v2/${repository}/manifests/${reference}`, {
            scope: `repository:${repository}:pull,push`,
            body,
            headers: { "content-type": mediaType },
        });
        const text = await res.text();
        this.expectOk(res, `PUT manifest ${repository}:${reference} (${text.slice(0, 200)})`, [201]);
        const digest = sha256Digest(body);
        const stored = res.headers.get("docker-content-digest");
        if (stored && stored !== digest) {
            throw new RegistryError(
                `${this.endpoint.host}/${repository}:${reference}: the registry stored the manifest as ${stored}, not as its digest ${digest}`,
                false,
            );
        }
        return { digest, confirmed: stored === digest };
    }

    async deleteManifest(repository: string, digest: string): Promise<void> {
        const res = await this.request("DELETE", `/v2/${repository}/manifests/${digest}`, { scope: `repository:${repository}:*` });
        await res.arrayBuffer();
        this.expectOk(res, `DELETE manifest ${repository}@${digest}`, [202, 200]);
    }

    private expectOk(res: Response, what: string, ok: number[] = [200]): void {
        if (ok.includes(res.status)) return;
        if (res.status === 401 || res.status === 403) {
            throw new RegistryError(
                `${this.endpoint.host}: ${what}: access denied (HTTP ${res.status}); check the credentials for ${this.endpoint.host}`,
                false,
                res.status,
            );
        }
        throw new RegistryError(`${this.endpoint.host}: ${what}: HTTP ${res.status}`, false, res.status);
    }
}
