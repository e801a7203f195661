/**
 * The customer's clipboard text. The customer engine reads it only while
 * `clipboard` is granted and writes what the technician sends only then;
 * each platform folder provides one (or none, and `hello` says so).
 */
export interface Clipboard {
  /** The current text, or null when it cannot be read (or holds no text). */
  read(): Promise<string | null>;
  write(text: string): Promise<void>;
}
