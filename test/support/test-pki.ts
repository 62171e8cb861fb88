/**
 * A throwaway PKI for TLS tests, all sha256 (sha1 is refused by Node 20 and kubectl): a serving CA and a
 * server certificate for 127.0.0.1/localhost, a front-proxy (request-header) CA with a client certificate
 * (clientAuth EKU, CN front-proxy-client), and a client certificate from an unrelated CA.
 */
import { generate } from 'selfsigned';

export interface KeyPair {
  cert: string;
  key: string;
}

export interface TestPki {
  serverCa: KeyPair;
  server: KeyPair;
  frontProxyCa: KeyPair;
  frontProxyClient: KeyPair;
  /** Signed by the front-proxy CA but with a CN outside a restricted allowed-names list. */
  otherNameClient: KeyPair;
  /** Signed by a CA nobody trusts. */
  strangerClient: KeyPair;
}

async function ca(cn: string): Promise<KeyPair> {
  const pems = await generate([{ name: 'commonName', value: cn }], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

async function leaf(cn: string, issuer: KeyPair, usage: 'server' | 'client'): Promise<KeyPair> {
  const pems = await generate([{ name: 'commonName', value: cn }], {
    keySize: 2048,
    algorithm: 'sha256',
    ca: issuer,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      usage === 'server' ? { name: 'extKeyUsage', serverAuth: true } : { name: 'extKeyUsage', clientAuth: true },
      ...(usage === 'server' ? [{ name: 'subjectAltName' as const, altNames: [{ type: 7 as const, ip: '127.0.0.1' }, { type: 2 as const, value: 'localhost' }] }] : []),
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

export async function createTestPki(): Promise<TestPki> {
  const [serverCa, frontProxyCa, strangerCa] = await Promise.all([ca('test-serving-ca'), ca('test-front-proxy-ca'), ca('stranger-ca')]);
  const [server, frontProxyClient, otherNameClient, strangerClient] = await Promise.all([
    leaf('127.0.0.1', serverCa, 'server'),
    leaf('front-proxy-client', frontProxyCa, 'client'),
    leaf('someone-else', frontProxyCa, 'client'),
    leaf('front-proxy-client', strangerCa, 'client'),
  ]);
  return { serverCa, server, frontProxyCa, frontProxyClient, otherNameClient, strangerClient };
}
