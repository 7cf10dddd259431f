// localhost.localstack.cloud and its subdomains resolve to 127.0.0.1 in a Node process started
// with NODE_OPTIONS="--require <this file>", as public DNS resolves them (this machine is offline).
// Only the address lookup changes: the connection still uses the name for SNI and for checking
// the certificate.
const dns = require("node:dns");

const NAME = "localhost.localstack.cloud";
const realLookup = dns.lookup;

dns.lookup = function lookup(host, options, callback) {
  const h = String(host).toLowerCase();
  if (h === NAME || h.endsWith("." + NAME)) host = "127.0.0.1";
  return realLookup.call(dns, host, options, callback);
};
