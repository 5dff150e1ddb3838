/**
 * The one error base class of kfstack. Every error a user can fix (bad YAML, a bad
 * image reference, a wrong config key, an unknown app, an unreachable registry) is a
 * KfstackError naming the input and the fix: the CLI prints its message and exits 2,
 * `index.ts` turns it into `pulumi.RunError` (one message, no stack trace). Anything
 * else is a kfstack bug: the CLI exits 3.
 */
export class KfstackError extends Error {
    /**
     * @param message the whole message: the input it names, what is wrong, the fix.
     * @param input the input named (a file, a config key, a flag), when there is one.
     */
    constructor(
        message: string,
        readonly input?: string,
    ) {
        super(message);
        this.name = new.target.name;
    }
}

/** Input that cannot be used as it is: a file, a stream, a flag's value, a tree. */
export class InputError extends KfstackError {}

/** Wrong flags or arguments on the command line. */
export class UsageError extends KfstackError {}

/** Bad stack configuration (`kfstack:*`): every problem at once, each naming its key. */
export class ConfigError extends KfstackError {
    constructor(readonly problems: string[]) {
        super(
            problems.length === 1
                ? `kfstack stack config: ${problems[0]}`
                : `${problems.length} problems in the kfstack stack config:\n${problems.map((p) => `  - ${p}`).join("\n")}`,
            problems.length === 1 ? problems[0].split(" ")[0] : undefined,
        );
    }
}
