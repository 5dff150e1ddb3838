/** How the mirror commands reach registries: the access options and one client per host. */
import { configKey } from "../core/configKeys";
import { AuthMap } from "./auth";
import { Endpoint, RegistryClient } from "./registry";
import { RetryPolicy } from "./retry";

/** How to reach the registries and how hard to try. */
export interface RegistryAccess {
    /**
     * Plain HTTP to the mirror (a lab registry without TLS).
     * @default false
     */
    readonly plainHttp?: boolean;
    /**
     * Plain HTTP to the source registries.
     * @default false
     */
    readonly sourcePlainHttp?: boolean;
    /** Credentials per registry host. */
    readonly auths?: AuthMap;
    /**
     * What turns plain HTTP on, for the mirror and for sources, named in the error when a registry
     * answers HTTPS with HTTP. @default the CLI's `--plain-http` and `--src-plain-http`
     */
    readonly plainHttpSwitches?: { readonly mirror: string; readonly source: string };
    /** Retries of each request and each copy. */
    readonly retry?: RetryPolicy;
    /**
     * Time-out of one registry request, in milliseconds.
     * @default 30000
     */
    readonly requestTimeoutMs?: number;
}

/** The stack settings that turn plain HTTP on (the program's and doctor's errors name them). */
export const STACK_PLAIN_HTTP = { mirror: configKey("mirror", "plainHttp") + ": true", source: configKey("mirror", "sourcePlainHttp") + ": true" } as const;

/** Registry clients, one per host, sharing tokens; the mirror's (if any) speaks `plainHttp`, the others `sourcePlainHttp`. */
export class Clients {
    private readonly clients = new Map<string, RegistryClient>();
    constructor(
        private readonly access: RegistryAccess,
        private readonly mirrorHost: string | undefined,
        private readonly onRetry?: (what: string, e: unknown) => void,
    ) {}
    for(host: string): RegistryClient {
        let c = this.clients.get(host);
        if (!c) {
            const switches = this.access.plainHttpSwitches ?? { mirror: "--plain-http", source: "--src-plain-http" };
            const isMirror = host === this.mirrorHost;
            const endpoint: Endpoint = {
                host,
                plainHttp: isMirror ? this.access.plainHttp : this.access.sourcePlainHttp,
                credentials: this.access.auths?.get(host),
                plainHttpSwitch: isMirror ? switches.mirror : switches.source,
            };
            c = new RegistryClient(endpoint, { timeoutMs: this.access.requestTimeoutMs, retry: this.access.retry, onRetry: this.onRetry });
            this.clients.set(host, c);
        }
        return c;
    }
}

/** A registry client's retries as progress lines: a hanging or failing registry is never silent. */
export function retryReporter(say: (line: string) => void): (what: string, e: unknown) => void {
    return (what, e) => say(`retrying ${what}: ${e instanceof Error ? e.message : String(e)}`);
}
