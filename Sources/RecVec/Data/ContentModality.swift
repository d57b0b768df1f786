/// Side information about items: one vector per item, row `i` belonging to dense item `i` of
/// the catalog's `IDMap` ("text" embeddings, "image" embeddings, genre flags...).
public struct ContentModality: Equatable, Sendable {
    /// The modality's name ("text", "image", "genres", a file name).
    public var name: String
    /// One row per catalog item, in the catalog's dense order.
    public var vectors: Matrix

    /// A modality named `name` with `vectors` (row `i` = dense item `i`).
    public init(name: String, vectors: Matrix) {
        self.name = name
        self.vectors = vectors
    }
}
