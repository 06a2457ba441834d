namespace ParameterSaliency.Neighbors;

/// <summary>One neighbour: its index in the data set, cosine similarity to the query, and true label.</summary>
public sealed record Neighbor(int Index, float Similarity, int Label);

/// <summary>The neighbours of one query, most similar first; for an indexed query, entry 0 is the query itself.</summary>
public sealed record NeighborList(string Space, int? Query, IReadOnlyList<Neighbor> Entries)
{
    /// <summary>The neighbours other than the query itself.</summary>
    public IEnumerable<Neighbor> Others => Entries.Where(e => e.Index != Query);

    /// <inheritdoc/>
    public override string ToString() => $"{Space} neighbours of {(Query is int q ? $"#{q}" : "a vector")}: {string.Join(", ", Entries.Select(e => $"#{e.Index} ({e.Similarity:F3})"))}";
}
