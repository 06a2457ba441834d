namespace ParameterSaliency.Neighbors;

/// <summary>One neighbour: its index in the data set, cosine similarity to the query, and true label.</summary>
/// <param name="Index">Index of the neighbour in the data set.</param>
/// <param name="Similarity">Cosine similarity to the query (1 for the query itself).</param>
/// <param name="Label">True label y of the neighbour.</param>
public sealed record Neighbor(int Index, float Similarity, int Label);

/// <summary>The neighbours of one query, most similar first; for an indexed query, entry 0 is the query itself.</summary>
/// <param name="Space">The space searched: "saliency" or "pixel".</param>
/// <param name="Query">Index of the query image, or null for an outside vector.</param>
/// <param name="Entries">The neighbours, most similar first.</param>
public sealed record NeighborList(string Space, int? Query, IReadOnlyList<Neighbor> Entries)
{
    /// <summary>The neighbours other than the query itself.</summary>
    public IEnumerable<Neighbor> Others => Entries.Where(e => e.Index != Query);

    /// <inheritdoc/>
    public override string ToString() => $"{Space} neighbours of {(Query is int q ? $"#{q}" : "a vector")}: {string.Join(", ", Entries.Select(e => $"#{e.Index} ({e.Similarity:F3})"))}";
}
