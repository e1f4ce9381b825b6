/**
 * The Storeflow sign-up block in the editor: the same form the site shows, rendered by the
 * server (Signup::render in PHP); the block saves nothing of its own.
 */
( function ( wp ) {
	const el = wp.element.createElement;
	wp.blocks.registerBlockType( 'storeflow/signup', {
		title: wp.i18n.__( 'Newsletter sign-up (Storeflow)', 'storeflow' ),
		category: 'widgets',
		icon: 'email',
		edit: function () {
			return el( wp.serverSideRender, { block: 'storeflow/signup' } );
		},
		save: function () {
			return null;
		},
	} );
} )( window.wp );
