// Runs as the `prepack` script of every library package: the licence text lives once at the
// repository root and is copied into the package directory just before it is packed, so every
// tarball carries it without seven committed copies drifting apart.
import { copyFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const rootLicense = fileURLToPath(new URL('../LICENSE', import.meta.url));
copyFileSync(rootLicense, 'LICENSE');
