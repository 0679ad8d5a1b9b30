/**
 * What `.meta()` may carry on a config option besides zod's own `description`. Both keys are
 * copied into the JSON Schema (`z.toJSONSchema`), which docs/config.md is generated from.
 */
declare module 'zod' {
  interface GlobalMeta {
    /** Shown in docs/config.md instead of the default when it is computed or absent. */
    defaultText?: string;
    /**
     * On a section whose entries are named by the user (`providers`, `models`) or by a fixed
     * list whose entries share one schema (`keys`): the placeholder docs use for the name.
     */
    entryName?: string;
  }
}

export {};
