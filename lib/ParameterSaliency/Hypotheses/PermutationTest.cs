using TorchSharp;
using static TorchSharp.torch;
using static ParameterSaliency.Runtime.HeldScalars;

namespace ParameterSaliency.Hypotheses;

/// <summary>
/// Permutation tests on rows of a matrix (one row per image, one column per filter), all columns at once, on Welch's
/// studentized difference t = (m_A − m_B) / √(v_A/n_A + v_B/n_B) (for pairs: the mean difference over its standard error).
/// Studentizing keeps a column whose few active images happen to fall in one group from looking like a shift of the
/// whole group (the raw difference of means did that for 1,105 correlated filters in one of 20 random splits of one
/// class). When the relabellings number at most <c>permutations</c> they are enumerated exactly (p is then the exact
/// share at least as extreme, the observed one included); otherwise <c>permutations</c> random relabellings are drawn
/// with the seed and p = (1 + as extreme) / (1 + permutations).
/// </summary>
public static class PermutationTest
{
    const int Batch = 256;

    /// <summary>Statistics within this of the observed one count as ties (as extreme): t of a column constant up to rounding is ~1e-7.</summary>
    public const double TieTolerance = 1e-6;

    /// <summary>
    /// Two groups (rows <paramref name="a"/> and <paramref name="b"/> of <paramref name="values"/> [N, F]): the difference of
    /// means per column and the two-sided p-value of its studentized form under exchanging the group labels.
    /// </summary>
    /// <param name="values">Matrix [N, F]: one row per image (e.g. ŝ), one column per filter.</param>
    /// <param name="a">Rows of group A: distinct, at least two.</param>
    /// <param name="b">Rows of group B: distinct, at least two, disjoint from <paramref name="a"/>.</param>
    /// <param name="permutations">Random relabellings drawn; when the relabellings number at most this, all are enumerated exactly.</param>
    /// <param name="seed">Seed of the random relabellings.</param>
    /// <param name="twoSided">True for a two-sided p on |t|; false for one-sided, A larger than B (default true).</param>
    public static (double[] Difference, double[] P) TwoGroups(Tensor values, int[] a, int[] b, int permutations, int seed, bool twoSided = true)
    {
        CheckGroups(values, a, b);
        if (a.Intersect(b).Any()) throw new ArgumentException("The two groups share images; a permutation test needs disjoint groups.");
        if (a.Length < 2 || b.Length < 2) throw new ArgumentException($"Each group needs at least two images for a variance; got {a.Length} and {b.Length}.");
        using var scope = NewDisposeScope();
        int[] pool = a.Concat(b).ToArray();
        var rows = values.index_select(0, tensor(pool.Select(i => (long)i).ToArray())).to(ScalarType.Float64);
        int n = pool.Length, na = a.Length;
        double[] Membership(IReadOnlyCollection<int> inA)
        {
            var w = new double[n];
            foreach (int i in inA) w[i] = 1;
            return w;
        }
        bool exact = Combinations.Count(n, na) <= permutations;
        var relabellings = exact ? Combinations.All(n, na).Select(Membership) : RandomSubsets(n, na, permutations, seed).Select(Membership);
        var welch = new WelchStatistic(rows, na);
        var (_, p) = Run(welch.Of, Membership(Enumerable.Range(0, na).ToArray()), relabellings, exact, twoSided);
        return (welch.Difference(Membership(Enumerable.Range(0, na).ToArray())), p);
    }

    /// <summary>
    /// Paired rows (<paramref name="a"/>[i] with <paramref name="b"/>[i], e.g. an image with and without a marker): the mean
    /// paired difference per column and the two-sided p-value of its t under flipping the sign of each pair's difference.
    /// </summary>
    /// <param name="values">Matrix [N, F]: one row per image (e.g. ŝ), one column per filter.</param>
    /// <param name="a">Rows of the first member of each pair: distinct, at least two.</param>
    /// <param name="b">Rows of the second member, <paramref name="b"/>[i] paired with <paramref name="a"/>[i].</param>
    /// <param name="permutations">Random sign flips drawn; when the 2^n flips number at most this, all are enumerated exactly.</param>
    /// <param name="seed">Seed of the random sign flips.</param>
    public static (double[] Difference, double[] P) Paired(Tensor values, int[] a, int[] b, int permutations, int seed)
    {
        CheckGroups(values, a, b);
        if (a.Length != b.Length) throw new ArgumentException($"Paired groups need as many images each; got {a.Length} and {b.Length}.");
        if (a.Length < 2) throw new ArgumentException("At least two pairs.");
        using var scope = NewDisposeScope();
        var differences = (values.index_select(0, tensor(a.Select(i => (long)i).ToArray())) - values.index_select(0, tensor(b.Select(i => (long)i).ToArray()))).to(ScalarType.Float64);
        int n = a.Length;
        double[] Signs(ulong mask) => Enumerable.Range(0, n).Select(i => ((mask >> i) & 1) == 1 ? -1.0 : 1.0).ToArray();
        bool exact = n < 62 && (1L << n) <= permutations;
        var random = new Random(seed);
        var flips = exact
            ? Enumerable.Range(0, 1 << n).Select(mask => Signs((ulong)mask))
            : Enumerable.Range(0, permutations).Select(_ => Enumerable.Range(0, n).Select(_ => random.Next(2) == 0 ? 1.0 : -1.0).ToArray());
        var sumOfSquares = differences.square().sum([0]);
        using Scalar relative = 1e-9, count = n, degrees = n - 1;
        var tolerance = relative * differences.abs().amax([0]) + Tiny;
        Tensor PairedT(Tensor signs)
        {
            var mean = matmul(signs, differences) / count;                          // [B, F]
            var variance = ((sumOfSquares.unsqueeze(0) - mean.square() * count) / degrees).clamp_min(Zero);
            return mean / (variance / count + tolerance.square().unsqueeze(0)).sqrt();
        }
        var (_, p) = Run(PairedT, Signs(0), flips, exact, twoSided: true);
        return (differences.mean([0]).data<double>().ToArray(), p);
    }

    /// <summary>
    /// One subset against the rest of its pool (a cluster against the other mistakes): the subset's mean minus the pool's
    /// mean per column, and the one-sided p-value (larger than chance) of the studentized subset-versus-rest difference
    /// under drawing subsets of the same size from the pool.
    /// </summary>
    /// <param name="values">Matrix [N, F] of the pool: one row per image (e.g. ŝ), one column per filter.</param>
    /// <param name="subset">Distinct rows of the subset; it and the rest of the pool need at least two rows each.</param>
    /// <param name="permutations">Random subsets of the same size drawn; enumerated exactly when there are at most this many.</param>
    /// <param name="seed">Seed of the random subsets.</param>
    public static (double[] Difference, double[] P) SubsetOfPool(Tensor values, int[] subset, int permutations, int seed)
    {
        int n = (int)values.shape[0], k = subset.Length;
        if (k < 2 || k > n - 2) throw new ArgumentException($"The subset has {k} of the pool's {n} rows; it and the rest need at least two each.");
        if (subset.Any(i => i < 0 || i >= n) || subset.Distinct().Count() != k) throw new ArgumentException("The subset's rows must be distinct rows of the pool.");
        using var scope = NewDisposeScope();
        var rest = Enumerable.Range(0, n).Except(subset).ToArray();
        var (_, p) = TwoGroups(values, subset, rest, permutations, seed, twoSided: false);
        var rows = values.to(ScalarType.Float64);
        var excess = rows.index_select(0, tensor(subset.Select(i => (long)i).ToArray())).mean([0]) - rows.mean([0]);
        return (excess.data<double>().ToArray(), p);
    }

    /// <summary>Welch's t per column for a batch of group-A memberships [B, N] (1 in A, 0 in B).</summary>
    sealed class WelchStatistic(Tensor rows, int na)
    {
        readonly Tensor squares = rows.square();
        readonly int n = (int)rows.shape[0];
        public Tensor Tolerance { get; } = Relative(rows.abs().amax([0]));

        static Tensor Relative(Tensor largest)
        {
            using Scalar relative = 1e-9;
            return relative * largest + Tiny;
        }

        public Tensor Of(Tensor membership)
        {
            using Scalar countA = na, countB = n - na, degreesA = na - 1, degreesB = n - na - 1;
            var inB = One - membership;
            var meanA = matmul(membership, rows) / countA;
            var meanB = matmul(inB, rows) / countB;
            var varianceA = ((matmul(membership, squares) - meanA.square() * countA) / degreesA).clamp_min(Zero);
            var varianceB = ((matmul(inB, squares) - meanB.square() * countB) / degreesB).clamp_min(Zero);
            return (meanA - meanB) / (varianceA / countA + varianceB / countB + Tolerance.square().unsqueeze(0)).sqrt();
        }

        public double[] Difference(double[] membership)
        {
            using var scope = NewDisposeScope();
            using Scalar countA = na, countB = n - na;
            var m = tensor(membership, ScalarType.Float64).unsqueeze(0);
            return (matmul(m, rows) / countA - matmul(One - m, rows) / countB)[0].data<double>().ToArray();
        }
    }

    /// <summary>The statistic of each relabelling [B, N] → [B, F]; p from how many are as extreme as the observed one (≥, or |·| ≥ |·| two-sided).</summary>
    static (double[] Statistic, double[] P) Run(Func<Tensor, Tensor> statistic, double[] observedLabels, IEnumerable<double[]> relabellings, bool exact, bool twoSided)
    {
        var observed = statistic(tensor(observedLabels, ScalarType.Float64).unsqueeze(0))[0];
        // Ties count as extreme, within rounding: a column that is the same for every image (a filter dead on all of them)
        // has statistics that differ only by rounding, and gets p = 1.
        using Scalar tie = TieTolerance;
        var threshold = (twoSided ? observed.abs() : observed) - tie;
        var extreme = zeros(observed.shape, ScalarType.Float64);
        int total = 0;
        foreach (var chunk in relabellings.Chunk(Batch))
        {
            using var chunkScope = NewDisposeScope();
            var labels = tensor(chunk.SelectMany(w => w).ToArray(), ScalarType.Float64).reshape(chunk.Length, -1);
            var statistics = statistic(labels);
            if (twoSided) statistics = statistics.abs();
            extreme.add_(statistics.ge(threshold.unsqueeze(0)).to(ScalarType.Float64).sum([0]));
            total += chunk.Length;
        }
        using Scalar draws = total, drawsAndObserved = total + 1;
        var p = exact ? extreme / draws : (extreme + One) / drawsAndObserved;
        return (observed.data<double>().ToArray(), p.clamp_max(One).data<double>().ToArray());
    }

    static IEnumerable<int[]> RandomSubsets(int n, int k, int count, int seed)
    {
        var random = new Random(seed);
        var order = Enumerable.Range(0, n).ToArray();
        for (int draw = 0; draw < count; draw++)
        {
            for (int i = 0; i < k; i++)
            {
                int j = random.Next(i, n);
                (order[i], order[j]) = (order[j], order[i]);
            }
            yield return order[..k];
        }
    }

    static void CheckGroups(Tensor values, int[] a, int[] b)
    {
        if (values.dim() != 2) throw new ArgumentException($"Values must be [images, filters]; got shape [{string.Join(", ", values.shape)}].");
        if (a.Length < 1 || b.Length < 1) throw new ArgumentException($"Each group needs at least one image; got {a.Length} and {b.Length}.");
        long n = values.shape[0];
        if (a.Concat(b).Any(i => i < 0 || i >= n)) throw new ArgumentOutOfRangeException(nameof(a), $"Rows lie in [0, {n}).");
        if (a.Distinct().Count() != a.Length || b.Distinct().Count() != b.Length) throw new ArgumentException("A group lists an image twice.");
    }
}

/// <summary>k-subsets of {0 … n−1}: how many, and all of them in lexicographic order.</summary>
internal static class Combinations
{
    /// <summary>C(n, k), saturating at long.MaxValue.</summary>
    public static long Count(int n, int k)
    {
        k = Math.Min(k, n - k);
        double result = 1;
        for (int i = 1; i <= k; i++) result = result * (n - k + i) / i;
        return result >= long.MaxValue ? long.MaxValue : (long)Math.Round(result);
    }

    public static IEnumerable<int[]> All(int n, int k)
    {
        var current = Enumerable.Range(0, k).ToArray();
        while (true)
        {
            yield return (int[])current.Clone();
            int i = k - 1;
            while (i >= 0 && current[i] == n - k + i) i--;
            if (i < 0) yield break;
            current[i]++;
            for (int j = i + 1; j < k; j++) current[j] = current[j - 1] + 1;
        }
    }
}
