/** A user name and password for a registry: what the mirror client sends and what node configs carry. */
export interface Credentials {
    readonly username: string;
    readonly password: string;
}
