/// Side information about items: one vector per item, row `i` belonging to dense item `i` of
/// the catalog's `IDMap` ("text" embeddings, "image" embeddings, genre flags...).
public struct ContentModality: Equatable, Sendable {
    public var name: String
    public var vectors: Matrix

    public init(name: String, vectors: Matrix) {
        self.name = name
        self.vectors = vectors
    }
}
