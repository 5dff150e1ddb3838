/** A registry that speaks plain HTTP, asked over HTTPS: one clear error naming the switch, at once, no retries. */
import * as assert from "assert";
import * as http from "http";
import { AddressInfo } from "net";
import { Clients, STACK_PLAIN_HTTP } from "../../../lib/mirror";
import { countOf, oneLine } from "../../../lib/core/text";

describe("a plain-HTTP registry asked over HTTPS", () => {
    let server: http.Server;
    let host = "";
    let requests = 0;
    before(async () => {
        server = http.createServer((_req, res) => {
            requests++;
            res.end("{}");
        });
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
        host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(() => server.close());

    it("is named as such with the switch to add, mirror or source, without retrying", async () => {
        const retries: string[] = [];
        const started = Date.now();
        const clients = new Clients({ retry: { attempts: 6, baseMs: 500 } }, host, (what) => retries.push(what));
        await assert.rejects(
            clients.for(host).headManifest("kubeflow/app", "v1"),
            (e: Error) => e.message === `${host} answers plain HTTP, not HTTPS: add --plain-http`,
        );
        const sources = new Clients({ plainHttpSwitches: STACK_PLAIN_HTTP }, "mirror.invalid");
        await assert.rejects(sources.for(host).headManifest("kubeflow/app", "v1"), /answers plain HTTP, not HTTPS: add kfstack:mirror\.sourcePlainHttp: true$/);
        assert.deepEqual(retries, [], "no retry");
        assert.ok(Date.now() - started < 3000, `at once (${Date.now() - started} ms)`);
        assert.equal(requests, 0, "the server never saw a request it could answer");
        // With the switch it is reached.
        await new Clients({ plainHttp: true }, host)
            .for(host)
            .headManifest("kubeflow/app", "v1")
            .catch(() => undefined);
        assert.ok(requests > 0);
    });

    it("report text: one line per item, counts with their noun", () => {
        assert.equal(
            oneLine("copying blob: \n  pinging container registry x: \r\nhttp: server gave HTTP response\n"),
            "copying blob:; pinging container registry x:; http: server gave HTTP response",
        );
        assert.deepEqual([countOf(1, "image"), countOf(0, "image"), countOf(89, "image")], ["1 image", "0 images", "89 images"]);
    });
});
