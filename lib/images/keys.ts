/**
 * Which keys hold images, which values are no images: the naming rules of discovery.
 * Found by shape, with no list of kinds: `image`, `cacheImage`, `FRONTEND_IMAGE`,
 * `imageGroupOne`, `INTERNAL_IMAGES_KANIKO` (loose), never `imagePullPolicy`.
 */

/** Words that, right after "image", make a key describe an image instead of holding one. */
const IMAGE_QUALIFIERS = new Set(["group", "groups", "options", "list", "ref", "reference", "uri", "url", "name"]);

/** `defaultImageVersion`, `defaultGpuImageVersion`: one image per version beside an `image` (KServe). */
export const VERSION_KEY = /^default\w*ImageVersion$/;

/**
 * Values that parse as references but are settings, not images, wherever a key's
 * name only suggests an image (`ADD_NAMESPACE_PREFIX_TO_IMAGE_NAME: "false"`).
 * A container's `image` field is never second-guessed.
 */
export const NOT_AN_IMAGE = /^(true|false|yes|no|on|off|none|null|nil|always|never|ifnotpresent|default|enabled|disabled|\d+)$/i;

/** A value that is filled in at run time: templates and variable references. */
export const DYNAMIC_VALUE = /\{\{|\$\(|\$\{|\$[A-Za-z_]|<[A-Za-z_]+>/;

/** Splits a key into lower-case words: `cacheImage` → cache,image; `FRONTEND_IMAGE` → frontend,image. */
export function keyWords(key: string): string[] {
    return key
        .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
        .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
        .split(/[^A-Za-z0-9]+/)
        .filter((w) => w !== "")
        .map((w) => w.toLowerCase());
}

/** Words that, after "image", name a property of an image rather than an image. */
const PROPERTY_WORDS = new Set([
    "pull",
    "policy",
    "policies",
    "version",
    "versions",
    "tag",
    "tags",
    "digest",
    "digests",
    "secret",
    "secrets",
    "id",
    "ids",
    "size",
    "count",
    "registry",
    "registries",
    "repository",
    "repo",
    "prefix",
    "suffix",
    "path",
    "dir",
    "directory",
    "format",
    "type",
    "mode",
    "timeout",
    "cache",
    "arch",
    "os",
    "platform",
    "hash",
    "pattern",
    "regex",
    "filter",
    "list",
    "url",
    "uri",
    "ref",
    "reference",
]);

/**
 * True when a key only suggests an image: "image(s)" followed by a word that is
 * not a property (`INTERNAL_IMAGES_KANIKO`). Such values count only when they
 * look like references (a '/' or a ':') and are valid: nothing is reported there.
 */
export function isLooseImageKey(key: string): boolean {
    const words = keyWords(key);
    return words.some((w, i) => (w === "image" || w === "images") && i + 1 < words.length && !PROPERTY_WORDS.has(words[i + 1]));
}

/** True when a key's name says it holds an image: its last word is image(s), or image is followed by a qualifier (`imageGroupOne`). */
export function isImageKey(key: string): boolean {
    const words = keyWords(key);
    if (words.length === 0) return false;
    const last = words[words.length - 1];
    if (last === "image" || last === "images") return true;
    const i = words.findIndex((w) => w === "image" || w === "images");
    return i >= 0 && i + 1 < words.length && IMAGE_QUALIFIERS.has(words[i + 1]);
}
