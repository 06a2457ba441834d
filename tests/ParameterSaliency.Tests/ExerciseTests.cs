using ParameterSaliency.Notebooks;

namespace ParameterSaliency.Tests;

/// <summary>The workshop helpers: exercise checks, histogram bins counted in C#, tables of any rows.</summary>
public class ExerciseTests
{
    [Fact]
    public void A_check_says_not_yet_right_or_wrong_and_runs_its_key_only_for_an_answer()
    {
        int keyRuns = 0;
        int Key() { keyRuns++; return 7; }
        Assert.Equal(Exercise.Outcome.NotYet, Exercise.Check("q", (int?)null, Key, "hint").Outcome);
        Assert.Equal(0, keyRuns);
        Assert.Equal(Exercise.Outcome.Right, Exercise.Check("q", (int?)7, Key, "hint").Outcome);
        var wrong = Exercise.Check("q", (int?)6, Key, "count again");
        Assert.Equal(Exercise.Outcome.Wrong, wrong.Outcome);
        Assert.Contains("count again", wrong.Message);
        Assert.True(Exercise.Check("q", " Layer4.1.Conv2 ", () => "layer4.1.conv2", "h").IsRight);
        Assert.True(Exercise.Check("q", "b", answer => answer is "a" or "b", "h").IsRight);
        Assert.Equal(Exercise.Outcome.NotYet, Exercise.Check("q", "x", _ => throw new ArgumentException("no layer3 here"), "h").Outcome);
    }

    [Fact]
    public void Histogram_counts_equal_a_naive_count_and_keep_every_value()
    {
        var random = new Random(3);
        double[] values = Enumerable.Range(0, 5000).Select(_ => random.NextDouble() * 7 - 3).Append(4.0).Append(-3.0).ToArray();
        var (start, width) = Histogram.Bins(values, 80);
        long[] counts = Histogram.Counts(values, start, width, 80);
        Assert.Equal(values.Length, counts.Sum());
        for (int b = 0; b < 80; b++)
        {
            double low = values.Min() + b * (values.Max() - values.Min()) / 80, high = values.Min() + (b + 1) * (values.Max() - values.Min()) / 80;
            long naive = values.Count(v => v >= low && (v < high || (b == 79 && v <= high)));
            Assert.True(Math.Abs(naive - counts[b]) <= 1, $"bin {b}: {counts[b]} vs {naive}"); // an edge value may round into its neighbour
        }
        var (flatStart, flatWidth) = Histogram.Bins([2.0, 2.0, 2.0], 3); // all equal: one unit-wide span around them
        Assert.Equal(new long[] { 0, 3, 0 }, Histogram.Counts([2.0, 2.0, 2.0], flatStart, flatWidth, 3));
    }

    [Fact]
    public void Tables_of_anonymous_rows_have_a_column_per_property()
    {
        var table = Tables.Of(new[] { new { Step = 0.001, Filters = "top", K = 3 }, new { Step = 0.01, Filters = "random", K = 0 } }, "trials");
        Assert.Equal(["Step", "Filters", "K"], table.Columns);
        Assert.Equal(["0.01", "random", "0"], table.Rows[1]);
        Assert.Contains("<th>Filters</th>", table.ToHtml());
        Assert.StartsWith("trials", table.ToString());
    }

    [Fact]
    public void Tables_of_rows_typed_as_object_take_the_columns_of_the_rows_own_type()
    {
        static IEnumerable<object> Rows(string model) => [new { Model = model, K = 1.5 }, new { Model = model, K = 2.0 }];
        var table = Tables.Of(Rows("a").Concat(Rows("b")));
        Assert.Equal(["Model", "K"], table.Columns);
        Assert.Equal(["b", "2"], table.Rows[3]);
        Assert.Throws<ArgumentException>(() => Tables.Of(new object[] { new { K = 1 }, new { Step = 0.1 } }));
    }
}
