/**
 * GeoReport v2's XML format: the same documents as the JSON, each list a root element holding one
 * child per entry (<services><service>…, <service_requests><request>…, <errors><error>…), a null
 * field an empty element, as the specification's examples show (http://wiki.open311.org/GeoReport_v2).
 */

/** The element of each entry of a list, by the list's name. */
const ENTRY_ELEMENT: Readonly<Record<string, string>> = {
  services: 'service',
  service_requests: 'request',
  errors: 'error',
  endpoints: 'endpoint',
  formats: 'format',
};

const XML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

// Characters XML 1.0 cannot hold at all (controls but tab, newline, carriage return), dropped.
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are exactly the characters to drop.
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

function escapeXml(text: string): string {
  return text.replace(NOT_XML, '').replace(/[&<>"']/g, (char) => XML_ESCAPES[char] ?? char);
}

function elementOf(name: string, value: unknown): string {
  if (value === null || value === undefined) return `<${name}></${name}>`;
  if (Array.isArray(value)) {
    const entry = ENTRY_ELEMENT[name] ?? 'item';
    return `<${name}>${value.map((item) => elementOf(entry, item)).join('')}</${name}>`;
  }
  if (typeof value === 'object') {
    const children = Object.entries(value as Record<string, unknown>).map(([key, child]) => elementOf(key, child));
    return `<${name}>${children.join('')}</${name}>`;
  }
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

/** A GeoReport document as XML: `root` names the list (services, service_requests, errors) or the object (discovery). */
export function toGeoReportXml(root: 'services' | 'service_requests' | 'errors' | 'discovery', document: unknown): string {
  return `<?xml version="1.0" encoding="utf-8"?>\n${elementOf(root, document)}\n`;
}
