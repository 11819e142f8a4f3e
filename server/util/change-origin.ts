/** Where a change was made: through this node, or on another node of the cluster, which announced it. */
export type ChangeOrigin = 'local' | 'remote';
