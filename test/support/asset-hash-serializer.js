// Jest snapshot serializer: replaces content hashes (asset hashes, bundle hashes in S3 keys) with a
// placeholder, so a snapshot diff shows template changes, not a rebuilt Lambda or shop bundle.
const HASH = /[0-9a-f]{64}/g;

module.exports = {
  test(value) {
    return typeof value === 'string' && /[0-9a-f]{64}/.test(value);
  },
  serialize(value, config, indentation, depth, refs, printer) {
    return printer(value.replace(HASH, '[HASH REMOVED]'), config, indentation, depth, refs);
  },
};
