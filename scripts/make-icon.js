#!/usr/bin/env node
// Renders media/icon.png (128×128, the Marketplace icon) from an inline SVG with sharp. Run once after changing it.
'use strict';
const path = require('node:path');
const sharp = require('sharp');

const SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="128" height="128" viewBox="0 0 128 128">
  <rect width="128" height="128" rx="22" fill="#1e3a5f"/>
  <g fill="#dfe7ef">
    <rect x="18" y="18" width="26" height="26" rx="4"/><rect x="51" y="18" width="26" height="26" rx="4"/>
    <rect x="18" y="51" width="26" height="26" rx="4"/><rect x="51" y="51" width="26" height="26" rx="4" fill="#f2b134"/>
    <rect x="18" y="84" width="26" height="26" rx="4"/><rect x="51" y="84" width="26" height="26" rx="4"/>
  </g>
  <path d="M86 72 l10 10 l20 -26" stroke="#5cd38a" stroke-width="9" fill="none" stroke-linecap="round" stroke-linejoin="round"/>
</svg>`;

sharp(Buffer.from(SVG))
  .png({ compressionLevel: 9, palette: true })
  .toFile(path.join(__dirname, '..', 'media', 'icon.png'))
  .then((info) => console.log(`media/icon.png ${info.width}×${info.height}, ${info.size} bytes`));
