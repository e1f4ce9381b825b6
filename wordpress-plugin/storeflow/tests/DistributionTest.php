<?php
/**
 * The zip merchants install holds the plugin and nothing of the development kit.
 *
 * @package Storeflow
 */

final class DistributionTest extends StoreflowTestCase {

	public function test_the_built_zip_leaves_out_the_signing_tool_and_the_tests_and_keeps_the_plugin(): void {
		if ( '' === trim( (string) shell_exec( 'command -v zip' ) ) || ! class_exists( ZipArchive::class ) ) {
			$this->markTestSkipped( 'needs the zip command and PHP\'s zip extension' );
		}
		$out = sys_get_temp_dir() . '/storeflow-dist-' . getmypid() . '.zip';
		exec( 'bash ' . escapeshellarg( dirname( __DIR__, 2 ) . '/build-zip.sh' ) . ' ' . escapeshellarg( $out ) . ' 2>&1', $output, $status );
		$this->assertSame( 0, $status, implode( "\n", $output ) );

		$zip = new ZipArchive();
		$this->assertTrue( $zip->open( $out ) );
		$names = array();
		for ( $i = 0; $i < $zip->numFiles; $i++ ) {
			$names[] = $zip->getNameIndex( $i );
		}
		$zip->close();
		unlink( $out );

		foreach ( array( 'storeflow/storeflow.php', 'storeflow/uninstall.php', 'storeflow/readme.txt', 'storeflow/includes/Sender.php', 'storeflow/assets/js/checkout-contact.js', 'storeflow/languages/storeflow-pl_PL.mo', 'storeflow/languages/storeflow-ro_RO.mo' ) as $kept ) {
			$this->assertContains( $kept, $names );
		}
		$this->assertSame( array(), preg_grep( '#^storeflow/(bin|tests)/|^storeflow/(phpunit\.xml|\.distignore|\.phpunit\.result\.cache)$#', $names ) );
	}
}
