// The font PDF exports are set in: PDF's built-in fonts have no Vietnamese glyphs.

/** A TrueType font with Vietnamese glyphs (Debian: fonts-dejavu-core); PDF_FONT overrides it. */
export const PDF_FONT = process.env.PDF_FONT ?? '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';
