using Xunit.Abstractions;

[assembly: TestCollectionOrderer("ParameterSaliency.Tests.LongestFirst", "ParameterSaliency.Tests")]

namespace ParameterSaliency.Tests;

/// <summary>
/// How long a test class takes on the 2-core machine the suite is sized for, measured from a fresh clone's trx log
/// (<c>.ci/run</c> prints the slowest classes). Only the order of the classes depends on it, never a result.
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class ExpectedSecondsAttribute(int seconds) : Attribute
{
    public int Seconds => seconds;
}

/// <summary>
/// Starts the longest test classes first. xunit runs two classes at a time; a long class started last would run
/// alone at the end while the other core waits, so the slowest go first and the many short ones fill the gaps.
/// Classes without <see cref="ExpectedSecondsAttribute"/> count as short and keep xunit's name order.
/// </summary>
public sealed class LongestFirst : ITestCollectionOrderer
{
    const string ImplicitCollection = "Test collection for ";

    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections) =>
        testCollections.OrderByDescending(ExpectedSeconds).ThenBy(c => c.DisplayName, StringComparer.Ordinal).ToArray();

    static int ExpectedSeconds(ITestCollection collection)
    {
        // A class without [Collection] is a collection of its own, named after the class.
        if (!collection.DisplayName.StartsWith(ImplicitCollection, StringComparison.Ordinal)) return 0;
        var type = typeof(LongestFirst).Assembly.GetType(collection.DisplayName[ImplicitCollection.Length..]);
        return type?.GetCustomAttributes(typeof(ExpectedSecondsAttribute), inherit: true).Cast<ExpectedSecondsAttribute>().FirstOrDefault()?.Seconds ?? 0;
    }
}
