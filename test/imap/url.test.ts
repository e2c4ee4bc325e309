import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/api/errors.js';
import { describeServer, isLoopbackHost, parseImapUrl } from '../../src/core/imap/url.js';

describe('parseImapUrl', () => {
  it('reads imaps:// with the implicit-TLS default port 993', () => {
    expect(parseImapUrl('imaps://alice@mail.example.org')).toEqual({ implicitTls: true, host: 'mail.example.org', port: 993, user: 'alice' });
  });

  it('reads imap:// with the STARTTLS default port 143, an explicit port and a percent-encoded user', () => {
    expect(parseImapUrl('imap://me%40example.org@127.0.0.1:1430')).toEqual({ implicitTls: false, host: '127.0.0.1', port: 1430, user: 'me@example.org' });
    expect(parseImapUrl('imap://bob@mail.example.org').port).toBe(143);
  });

  it('strips the brackets of an IPv6 literal', () => {
    expect(parseImapUrl('imap://bob@[::1]:1143/')).toEqual({ implicitTls: false, host: '::1', port: 1143, user: 'bob' });
  });

  it.each([
    ['not a url', /not a valid URL/],
    ['http://alice@example.org', /imaps:\/\/ \(TLS\) or imap:\/\//],
    ['imaps://example.org', /has no user/],
    ['imaps://alice@example.org/INBOX', /must not have a path/],
    ['imaps://alice@example.org:99999', /not a valid URL/],
  ])('refuses %s with a ConfigError', (url, message) => {
    expect(() => parseImapUrl(url)).toThrow(ConfigError);
    expect(() => parseImapUrl(url)).toThrow(message);
  });

  it('refuses a password in the url without repeating it', () => {
    let error: unknown;
    try {
      parseImapUrl('imaps://alice:hunter2@example.org');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/use the password option/);
    expect((error as Error).message).not.toContain('hunter2');
    expect(() => parseImapUrl('imaps://alice:hunter2@example.org:0x')).toThrow(/alice:\*\*\*@/);
  });

  it('describes the account as user@host[:port]', () => {
    expect(describeServer(parseImapUrl('imaps://alice@example.org'))).toBe('alice@example.org');
    expect(describeServer(parseImapUrl('imap://alice@[::1]:1143'))).toBe('alice@[::1]:1143');
  });
});

describe('isLoopbackHost', () => {
  it.each(['127.0.0.1', '127.8.9.10', '::1', 'localhost', 'LOCALHOST.', 'db.localhost', '::ffff:127.0.0.1'])('%s is loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });
  it.each(['0.0.0.0', '10.0.0.1', '128.0.0.1', 'example.org', 'localhost.example.org', '::', '127.1'])('%s is not', (host) => {
    expect(isLoopbackHost(host)).toBe(false);
  });
});
