using System.Globalization;

namespace ParameterSaliency.Cli;

/// <summary>Parses index lists such as <c>0-63</c>, <c>7</c> or <c>1,5,10-12</c> and shard specs such as <c>2/4</c>.</summary>
internal static class IndexRange
{
    public static int[] Parse(string text, int count)
    {
        var indices = new List<int>();
        foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string[] bounds = part.Split('-');
            if (bounds.Length is < 1 or > 2 || !bounds.All(b => int.TryParse(b, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
                throw new ArgumentException($"'{part}' is not an index or a range like 0-63.");
            int first = int.Parse(bounds[0], CultureInfo.InvariantCulture), last = int.Parse(bounds[^1], CultureInfo.InvariantCulture);
            if (last < first) throw new ArgumentException($"Range '{part}' runs backwards.");
            if (last >= count) throw new ArgumentException($"Index {last} is outside the data set (it has {count} images: 0-{count - 1}).");
            for (int i = first; i <= last; i++) indices.Add(i);
        }
        if (indices.Count == 0) throw new ArgumentException("No indices given.");
        return indices.ToArray();
    }

    /// <summary>Shard <c>i/n</c> (1-based i) of <paramref name="count"/> items: contiguous, sizes differing by at most one.</summary>
    public static int[] Shard(string spec, int count)
    {
        string[] parts = spec.Split('/');
        if (parts.Length != 2 || !int.TryParse(parts[0], out int shard) || !int.TryParse(parts[1], out int shards) || shards < 1 || shard < 1 || shard > shards)
            throw new ArgumentException($"--shard '{spec}' must be i/n with 1 ≤ i ≤ n, e.g. 2/4.");
        int start = (int)((long)count * (shard - 1) / shards), end = (int)((long)count * shard / shards);
        return Enumerable.Range(start, end - start).ToArray();
    }
}
