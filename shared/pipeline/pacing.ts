/** Least seconds from the start of a change-feed batch smaller than FEED_BATCH_MAX to its return, per trigger. */
export const FEED_CYCLE_SECONDS = { tally: 1, aggregate: 2 } as const;
/** maxItemsPerInvocation of the `tally` and `aggregate` triggers: a batch this full is a backlog and is not held. */
export const FEED_BATCH_MAX = 1000;
