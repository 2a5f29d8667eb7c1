/** Whether dist/BUILT is newer than every file under src/ (bin/build-fresh.js). */
export function buildIsFresh(root: string | URL): boolean;
