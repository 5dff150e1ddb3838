// The Pulumi program: built in components/ (see README). Filled by the platform work.
export {};
