using TorchSharp;
using static TorchSharp.torch;
using static ParameterSaliency.Runtime.HeldScalars;

namespace ParameterSaliency.Atlas;

/// <summary>
/// Spherical k-means: rows are L2-normalised, each is assigned to the centroid of largest cosine similarity, centroids
/// are the normalised means of their rows. k-means++ seeding (distance 1 − cos) from a seeded generator, several restarts,
/// the one of largest mean cosine kept. On TorchSharp tensors (float64).
/// </summary>
public static class CosineKMeans
{
    /// <summary>Clusters the rows of <paramref name="rows"/> [N, D] into <paramref name="k"/> groups.</summary>
    /// <param name="rows">Rows to cluster, [N, D]; L2-normalised internally and taken to float64 on the CPU.</param>
    /// <param name="k">Number of clusters, in [1, N].</param>
    /// <param name="seed">Seed of the k-means++ seeding and of re-seeding empty clusters (default 0).</param>
    /// <param name="restarts">Independent seedings tried; the one of largest mean cosine is kept (default 8).</param>
    /// <param name="iterations">Most assignment-update iterations per restart; a restart stops earlier once the assignment no longer changes (default 100).</param>
    public static Clustering Fit(Tensor rows, int k, int seed = 0, int restarts = 8, int iterations = 100)
    {
        if (rows.dim() != 2) throw new ArgumentException($"Rows must be [N, D]; got shape [{string.Join(", ", rows.shape)}].", nameof(rows));
        int n = (int)rows.shape[0];
        if (k < 1 || k > n) throw new ArgumentOutOfRangeException(nameof(k), k, $"k must lie in [1, {n}] (the rows).");
        using var scope = NewDisposeScope();
        var unit = Normalise(rows.to(ScalarType.Float64).cpu());
        if (!unit.isfinite().all().item<bool>()) throw new ArgumentException("The rows contain NaN or infinite values.", nameof(rows));
        var random = new Random(seed);
        Clustering? best = null;
        for (int restart = 0; restart < restarts; restart++)
        {
            using var restartScope = NewDisposeScope();
            var centroids = Seed(unit, k, random);
            int[] assignment = new int[n];
            for (int iteration = 0; iteration < iterations; iteration++)
            {
                var similarity = matmul(unit, centroids.t());
                int[] next = similarity.argmax(1).data<long>().Select(v => (int)v).ToArray();
                bool changed = iteration == 0 || !next.SequenceEqual(assignment);
                assignment = next;
                centroids = Centroids(unit, assignment, k, random);
                if (!changed) break;
            }
            double objective = matmul(unit, centroids.t()).gather(1, tensor(assignment.Select(a => (long)a).ToArray()).unsqueeze(1)).mean().item<double>();
            if (best is null || objective > best.MeanCosine + 1e-12) best = new Clustering(k, assignment, objective);
        }
        return best!;
    }

    /// <summary>Rows divided by their L2 norm (a zero row stays zero).</summary>
    /// <param name="rows">Rows to normalise, [N, D].</param>
    public static Tensor Normalise(Tensor rows) => rows / rows.norm(1, keepdim: true).clamp_min(Tiny);

    /// <summary>The mean silhouette with cosine distance 1 − cos: (b − a) / max(a, b) per row, a the mean distance to its own cluster, b to the nearest other.</summary>
    /// <param name="rows">Rows that were clustered, [N, D]; L2-normalised internally.</param>
    /// <param name="assignment">Cluster of each row, 0-based, one label per row.</param>
    public static double Silhouette(Tensor rows, IReadOnlyList<int> assignment)
    {
        using var scope = NewDisposeScope();
        var unit = Normalise(rows.to(ScalarType.Float64).cpu());
        int n = (int)unit.shape[0], k = assignment.Max() + 1;
        if (assignment.Count != n) throw new ArgumentException($"{assignment.Count} labels for {n} rows.");
        double[] distance = (One - matmul(unit, unit.t())).data<double>().ToArray();
        int[] sizes = new int[k];
        foreach (int a in assignment) sizes[a]++;
        double total = 0;
        for (int i = 0; i < n; i++)
        {
            var sums = new double[k];
            for (int j = 0; j < n; j++) if (j != i) sums[assignment[j]] += distance[i * n + j];
            int own = assignment[i];
            if (sizes[own] == 1) continue; // a singleton's silhouette is 0
            double a = sums[own] / (sizes[own] - 1);
            double b = Enumerable.Range(0, k).Where(c => c != own && sizes[c] > 0).Select(c => sums[c] / sizes[c]).DefaultIfEmpty(0).Min();
            total += Math.Max(a, b) > 0 ? (b - a) / Math.Max(a, b) : 0;
        }
        return total / n;
    }

    static Tensor Seed(Tensor unit, int k, Random random)
    {
        int n = (int)unit.shape[0];
        var chosen = new List<long> { random.Next(n) };
        var nearest = (One - matmul(unit, unit[chosen[0]].unsqueeze(1)).squeeze(1)).clamp_min(Zero);
        while (chosen.Count < k)
        {
            double[] weights = nearest.square().data<double>().ToArray();
            double sum = weights.Sum(), draw = random.NextDouble() * sum;
            int pick = 0;
            if (sum <= 0) pick = Enumerable.Range(0, n).First(i => !chosen.Contains(i));
            else
                for (double running = 0; pick < n; pick++)
                {
                    running += weights[pick];
                    if (running >= draw) break;
                }
            pick = Math.Min(pick, n - 1);
            chosen.Add(pick);
            nearest = minimum(nearest, (One - matmul(unit, unit[pick].unsqueeze(1)).squeeze(1)).clamp_min(Zero));
        }
        return unit.index_select(0, tensor(chosen.ToArray()));
    }

    static Tensor Centroids(Tensor unit, int[] assignment, int k, Random random)
    {
        int d = (int)unit.shape[1];
        // index_add_'s alpha is a native Scalar: held here until the call returns. As an implicit temporary it could be
        // finalised during the call (seen once: libtorch's "INTERNAL ASSERT FAILED at Scalar.h:279" in notebook 07).
        using var one = 1.0.ToScalar();
        using var rows = tensor(assignment.Select(a => (long)a).ToArray());
        var sums = zeros(k, d, ScalarType.Float64).index_add_(0, rows, unit, one);
        // An empty cluster restarts at a random row.
        var counts = new int[k];
        foreach (int a in assignment) counts[a]++;
        for (int c = 0; c < k; c++)
            if (counts[c] == 0) sums[c] = unit[random.Next((int)unit.shape[0])];
        return Normalise(sums);
    }
}

/// <summary>A partition of N rows into <see cref="K"/> clusters and its mean cosine to the assigned centroid.</summary>
/// <param name="K">Number of clusters k.</param>
/// <param name="Assignment">Cluster of each row, 0-based, one entry per row.</param>
/// <param name="MeanCosine">Mean cosine of each row to its assigned centroid (the objective the restarts maximise).</param>
public sealed record Clustering(int K, IReadOnlyList<int> Assignment, double MeanCosine)
{
    /// <summary>The rows of cluster <paramref name="cluster"/>.</summary>
    /// <param name="cluster">Cluster number, 0-based, in [0, K).</param>
    public int[] Members(int cluster) => Enumerable.Range(0, Assignment.Count).Where(i => Assignment[i] == cluster).ToArray();

    /// <summary>
    /// Purity against <paramref name="labels"/> (e.g. (true, predicted) pairs): Σ over clusters of its most frequent label's
    /// count, over N. 1 when every cluster holds one label.
    /// </summary>
    /// <typeparam name="TLabel">Type of the labels compared, e.g. a (true, predicted) tuple.</typeparam>
    /// <param name="labels">Label of each row, indexed like <see cref="Assignment"/>.</param>
    public double Purity<TLabel>(IReadOnlyList<TLabel> labels) where TLabel : notnull =>
        (double)Enumerable.Range(0, K).Sum(c => Members(c).GroupBy(i => labels[i]).Select(g => g.Count()).DefaultIfEmpty(0).Max()) / Assignment.Count;
}
