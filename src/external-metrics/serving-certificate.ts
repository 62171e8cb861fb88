/**
 * The HTTPS listener's certificate: from certFile/keyFile, or a self-signed sha256 pair generated at start
 * (kube-apiserver then needs `insecureSkipTLSVerify: true` in the APIService, or a caBundle of a pair you
 * provide). The generated one names the listen host (IP or DNS SAN), localhost, 127.0.0.1 and the pod's
 * hostname. Left out: reloading rotated files (restart the pod).
 */
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { generate } from 'selfsigned';

export interface ServingCertificate {
  cert: string;
  key: string;
  selfSigned: boolean;
}

type AltName = { type: 2; value: string } | { type: 7; ip: string };

export async function servingCertificate(options: { certFile?: string | undefined; keyFile?: string | undefined; host: string }): Promise<ServingCertificate> {
  if (options.certFile && options.keyFile) {
    const [cert, key] = await Promise.all([readFile(options.certFile, 'utf8'), readFile(options.keyFile, 'utf8')]);
    return { cert, key, selfSigned: false };
  }
  const names = new Map<string, AltName>();
  const add = (name: string) => {
    if (!name || name === '0.0.0.0' || name === '::') return;
    names.set(name, isIP(name) ? { type: 7, ip: name } : { type: 2, value: name });
  };
  [options.host, 'localhost', '127.0.0.1', hostname()].forEach(add);
  const pems = await generate([{ name: 'commonName', value: 'prescale-external-metrics' }], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [...names.values()] },
    ],
  });
  return { cert: pems.cert, key: pems.private, selfSigned: true };
}
