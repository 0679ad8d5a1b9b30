// @peculiar/x509 resolves its services through tsyringe, which refuses to load unless a Reflect
// metadata polyfill is installed first; ES module evaluation order makes this import run before
// @peculiar/x509's, so every file here imports X.509 through this module.
import 'reflect-metadata';

export { BasicConstraintsExtension, X509Certificate } from '@peculiar/x509';
