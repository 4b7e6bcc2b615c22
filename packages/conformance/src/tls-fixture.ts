/**
 * TEST-ONLY credentials: a self-signed certificate for `127.0.0.1` / `localhost` and its private
 * key, published on purpose so that the HTTP/2-over-TLS rows of the suite can run without a
 * certificate tool. Never use them for anything else. The suite's client does not verify the
 * certificate (its validity period depends on the clock of the machine that made it); the
 * transport, not the certificate, is what the checks are about.
 */
export const TEST_ONLY_TLS: { readonly key: string; readonly cert: string } = Object.freeze({
  key: `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgPyXmCOshjYMAh2RL
XVZ970XzjESzg96SghbPe+uj2KChRANCAAS2pRbItEyomX6ZUy5uV2jKhxENKV0N
OSI/tqdMtF0n2koTbceLB/DzKLXQ0K+G7Oz1Y5sIXIWXi3F4QBRiZ6WX
-----END PRIVATE KEY-----
`,
  cert: `-----BEGIN CERTIFICATE-----
MIIBxzCCAW2gAwIBAgIUaNcKYXxI+xUWF/4qnJ7Bl3RaTiswCgYIKoZIzj0EAwIw
KjEoMCYGA1UEAwwfb3RlbC1odHRwIGNvbmZvcm1hbmNlIHRlc3Qgb25seTAgFw0y
NjEyMDMwNzI5MTZaGA8yMTI2MTEwOTA3MjkxNlowKjEoMCYGA1UEAwwfb3RlbC1o
dHRwIGNvbmZvcm1hbmNlIHRlc3Qgb25seTBZMBMGByqGSM49AgEGCCqGSM49AwEH
A0IABLalFsi0TKiZfplTLm5XaMqHEQ0pXQ05Ij+2p0y0XSfaShNtx4sH8PMotdDQ
r4bs7PVjmwhchZeLcXhAFGJnpZejbzBtMB0GA1UdDgQWBBRtJgYq+I/wjSsgMR4w
M2hmBJSibTAfBgNVHSMEGDAWgBRtJgYq+I/wjSsgMR4wM2hmBJSibTAPBgNVHRMB
Af8EBTADAQH/MBoGA1UdEQQTMBGHBH8AAAGCCWxvY2FsaG9zdDAKBggqhkjOPQQD
AgNIADBFAiBy48OkCJtaPfLJyLCAzRIvTxVPQkiXeLGLlKkYWFFE4AIhAILSb0vl
vRelogddSL7zfnqbLDhZW80NrEm62HT9q9If
-----END CERTIFICATE-----
`,
});
