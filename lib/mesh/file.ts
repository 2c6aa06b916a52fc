import { Construct } from 'constructs';

/** A construct that owns one output file of its lab. */
export interface IOutputFile {
  /** File name within the lab's folder. */
  readonly fileName: string;
}

/**
 * A construct whose objects (and those of the constructs inside it) are written to one file
 * of its lab's folder; the output layer finds the file of an object through its nearest one.
 */
export abstract class FileConstruct extends Construct implements IOutputFile {
  protected constructor(scope: Construct, id: string, public readonly fileName: string) {
    super(scope, id);
  }
}
