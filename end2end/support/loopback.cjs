// Preloaded into test servers (node -r) so they listen on 127.0.0.1 only, whatever host they ask for.
const net = require('net');
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  const first = args[0];
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    const callbacks = args.filter((a) => typeof a === 'function');
    return listen.call(this, Number(first), '127.0.0.1', ...callbacks);
  }
  if (first && typeof first === 'object' && 'port' in first) {
    first.host = '127.0.0.1';
  }
  return listen.apply(this, args);
};
