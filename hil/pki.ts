/**
 * A throwaway X.509 PKI for TLS tests, made with the openssl CLI in a temporary directory:
 * certificate authorities, server certificates for loopback (subjectAltName IP:127.0.0.1 and
 * DNS:localhost, or any other name a test wants refused), client certificates, and
 * certificates with chosen validity dates (an expired one is `openssl ca -startdate/-enddate`
 * in the past, a real expired certificate rather than one with an inverted range).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface IssuedCert {
  certFile: string;
  keyFile: string;
}

export interface TestCa extends IssuedCert {
  name: string;
  /**
   * Issues a certificate for `subject` signed by this CA. `altNames` in openssl syntax
   * (`IP:127.0.0.1,DNS:localhost`); `start`/`end` as openssl GeneralizedTime (YYYYMMDDHHMMSSZ),
   * default from now for 30 days.
   */
  issue(name: string, o: { subject: string; altNames?: string; clientAuth?: boolean; start?: string; end?: string }): IssuedCert;
}

export interface TestPki {
  dir: string;
  ca(name: string): TestCa;
  dispose(): void;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** P-256 keys, as the brokers and gateways in the field use. */
const NEW_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

export function makePki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'pa-pki-'));
  const ca = (name: string): TestCa => {
    const caDir = join(dir, name);
    execFileSync('mkdir', ['-p', caDir]);
    const caKey = join(caDir, 'ca.key');
    const caCert = join(caDir, 'ca.pem');
    openssl(['req', '-x509', ...NEW_KEY, '-keyout', caKey, '-out', caCert, '-subj', `/CN=${name} test CA`, '-days', '30', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], caDir);
    chmodSync(caKey, 0o600);
    writeFileSync(join(caDir, 'index.txt'), '');
    writeFileSync(join(caDir, 'serial'), '1000\n');
    // `openssl ca` (not `x509 -req`) because only it takes explicit validity dates in OpenSSL 3.0.
    writeFileSync(
      join(caDir, 'ca.cnf'),
      ['[ca]', 'default_ca = test', '[test]', 'database = index.txt', 'new_certs_dir = .', 'serial = serial', 'default_md = sha256', 'policy = any', 'copy_extensions = copy', 'unique_subject = no', '[any]', 'commonName = supplied', ''].join('\n'),
    );
    return {
      name,
      certFile: caCert,
      keyFile: caKey,
      issue(leaf, o) {
        const key = join(caDir, `${leaf}.key`);
        const csr = join(caDir, `${leaf}.csr`);
        const cert = join(caDir, `${leaf}.pem`);
        const ext = [`extendedKeyUsage=${o.clientAuth ? 'clientAuth' : 'serverAuth'}`, ...(o.altNames ? [`subjectAltName=${o.altNames}`] : [])];
        openssl(['req', ...NEW_KEY, '-keyout', key, '-out', csr, '-subj', `/CN=${o.subject}`, ...ext.flatMap((e) => ['-addext', e])], caDir);
        chmodSync(key, 0o600);
        const dates = o.start || o.end ? ['-startdate', o.start ?? '20250101000000Z', '-enddate', o.end ?? '20990101000000Z'] : ['-days', '30'];
        openssl(['ca', '-batch', '-config', 'ca.cnf', '-cert', caCert, '-keyfile', caKey, '-in', csr, '-out', cert, '-notext', ...dates], caDir);
        return { certFile: cert, keyFile: key };
      },
    };
  };
  return { dir, ca, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}
