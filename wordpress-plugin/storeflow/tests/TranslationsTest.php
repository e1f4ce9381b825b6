<?php
/**
 * Everything a merchant or shopper reads is in Polish and Romanian too (languages/*.po, compiled
 * to the .mo files WordPress loads). `bash wordpress-plugin/translations.sh` refreshes them.
 *
 * @package Storeflow
 */

final class TranslationsTest extends StoreflowTestCase {

	private const LOCALES = array( 'pl_PL', 'ro_RO' );

	public function test_every_string_in_the_source_is_in_the_template(): void {
		$template = array_keys( $this->po( 'storeflow.pot' ) );
		$missing  = array_diff( $this->source_strings(), $template );

		$this->assertSame( array(), array_values( $missing ), 'run wordpress-plugin/translations.sh' );
		$this->assertContains( 'How carts reach Storeflow', $template );
	}

	public function test_polish_and_romanian_translate_every_string(): void {
		$template = array_keys( $this->po( 'storeflow.pot' ) );
		foreach ( self::LOCALES as $locale ) {
			$po = $this->po( "storeflow-{$locale}.po" );
			foreach ( $template as $msgid ) {
				$this->assertNotSame( '', $po[ $msgid ] ?? '', "{$locale} lacks: {$msgid}" );
			}
		}
		$this->assertSame( 'Rozłącz', $this->po( 'storeflow-pl_PL.po' )['Disconnect'] );
		$this->assertSame( 'Deconectează', $this->po( 'storeflow-ro_RO.po' )['Disconnect'] );
	}

	public function test_the_compiled_mo_files_hold_exactly_the_po_translations(): void {
		foreach ( self::LOCALES as $locale ) {
			$po = array_filter( $this->po( "storeflow-{$locale}.po" ), fn( $msgstr, $msgid ) => '' !== $msgid && '' !== $msgstr, ARRAY_FILTER_USE_BOTH );
			$mo = $this->mo( "storeflow-{$locale}.mo" );
			unset( $mo[''] );
			ksort( $po );
			ksort( $mo );
			$this->assertSame( $po, $mo, "{$locale}.mo is stale: run wordpress-plugin/translations.sh" );
		}
	}

	public function test_placeholders_survive_translation(): void {
		foreach ( self::LOCALES as $locale ) {
			foreach ( $this->po( "storeflow-{$locale}.po" ) as $msgid => $msgstr ) {
				preg_match_all( '/%(\d\$)?s/', $msgid, $want );
				preg_match_all( '/%(\d\$)?s/', $msgstr, $have );
				$this->assertSame( $want[0], $have[0], "{$locale}: {$msgid}" );
			}
		}
	}

	/** @return list<string> msgids of __(), esc_html__() etc. with the storeflow text domain. */
	private function source_strings(): array {
		$files   = array_merge( glob( dirname( __DIR__ ) . '/includes/*.php' ), glob( dirname( __DIR__ ) . '/includes/Admin/*.php' ) );
		$strings = array();
		foreach ( $files as $file ) {
			preg_match_all( "/\b(?:__|_e|esc_html__|esc_html_e|esc_attr__|esc_attr_e)\(\s*'((?:[^'\\\\]|\\\\.)*)',\s*'storeflow'\s*\)/", (string) file_get_contents( $file ), $m );
			foreach ( $m[1] as $literal ) {
				$strings[] = str_replace( array( "\\'", '\\\\' ), array( "'", '\\' ), $literal );
			}
		}
		$this->assertGreaterThan( 40, count( $strings ) );
		return array_unique( $strings );
	}

	/** @return array<string, string> msgid => msgstr of a .po/.pot file (header under ''). */
	private function po( string $name ): array {
		$entries = array();
		$current = null;
		$msgid   = '';
		$msgstr  = '';
		foreach ( file( dirname( __DIR__ ) . '/languages/' . $name ) as $line ) {
			$line = rtrim( $line, "\n" );
			if ( preg_match( '/^(msgid|msgstr) (".*")$/', $line, $m ) ) {
				if ( 'msgid' === $m[1] && null !== $current ) {
					$entries[ $msgid ] = $msgstr;
					$msgstr            = '';
				}
				$current = $m[1];
				${$current} = $this->unquote( $m[2] );
			} elseif ( null !== $current && preg_match( '/^(".*")$/', $line, $m ) ) {
				${$current} .= $this->unquote( $m[1] );
			}
		}
		if ( null !== $current ) {
			$entries[ $msgid ] = $msgstr;
		}
		return $entries;
	}

	private function unquote( string $quoted ): string {
		return stripcslashes( substr( $quoted, 1, -1 ) );
	}

	/** @return array<string, string> msgid => msgstr of a compiled .mo file. */
	private function mo( string $name ): array {
		$data = (string) file_get_contents( dirname( __DIR__ ) . '/languages/' . $name );
		$this->assertSame( 0x950412de, unpack( 'V', $data )[1], "{$name} is not a little-endian .mo" );
		list( , , $count, $originals, $translations ) = array_values( unpack( 'V5', $data ) );
		$entries = array();
		for ( $i = 0; $i < $count; $i++ ) {
			$o                 = unpack( 'Vlength/Voffset', $data, $originals + 8 * $i );
			$t                 = unpack( 'Vlength/Voffset', $data, $translations + 8 * $i );
			$entries[ substr( $data, $o['offset'], $o['length'] ) ] = substr( $data, $t['offset'], $t['length'] );
		}
		return $entries;
	}
}
