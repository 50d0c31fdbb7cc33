// Jest snapshot serializer: replaces content hashes (asset hashes, bundle hashes in S3 keys, the
// shop version derived from its asset hash) with placeholders, so a snapshot diff shows template
// changes, not a rebuilt Lambda or shop bundle.
const HASH = /[0-9a-f]{64}/g;
const SHOP_VERSION = /SHOP_VERSION=[0-9a-f]{12}/g;

module.exports = {
  test(value) {
    return (
      typeof value === 'string' && (/[0-9a-f]{64}/.test(value) || /SHOP_VERSION=[0-9a-f]{12}/.test(value))
    );
  },
  serialize(value, config, indentation, depth, refs, printer) {
    const normalised = value.replace(HASH, '[HASH REMOVED]').replace(SHOP_VERSION, 'SHOP_VERSION=[VERSION]');
    return printer(normalised, config, indentation, depth, refs);
  },
};
