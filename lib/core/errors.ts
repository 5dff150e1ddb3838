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
                : `${problems.length} problems in the kfstack stack config:\n${listedProblems(problems)
                      .map((p) => `  - ${p}`)
                      .join("\n")}`,
            problems.length === 1 ? problems[0].split(" ")[0] : undefined,
        );
    }
}

/** How many problems one message lists before it counts the rest: enough to see the pattern. */
export const LISTED_PROBLEMS = 20;

/** The first LISTED_PROBLEMS of `problems`, and a line counting the others when there are more. */
export function listedProblems(problems: readonly string[]): string[] {
    if (problems.length <= LISTED_PROBLEMS) return [...problems];
    return [...problems.slice(0, LISTED_PROBLEMS), `... and ${problems.length - LISTED_PROBLEMS} more of the same kind`];
}
