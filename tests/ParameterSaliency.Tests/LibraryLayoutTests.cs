using ParameterSaliency.Data;

namespace ParameterSaliency.Tests;

/// <summary>The library assumes no repository layout: the repository's programs tell it where their data is.</summary>
public class LibraryLayoutTests
{
    [Fact]
    public void The_library_holds_no_repository_paths_and_a_given_folder_comes_first()
    {
        Assert.Null(typeof(FashionMnist).Assembly.GetType("ParameterSaliency.Data.WorkbookPaths"));
        Assert.Contains(WorkbookPaths.FashionMnistFolder, FashionMnist.SearchFolders); // registered by the test assembly, as the CLI and notebooks do

        string folder = Directory.CreateTempSubdirectory().FullName;
        foreach (string name in new[] { "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz" })
            File.Copy(Path.Combine(WorkbookPaths.FashionMnistFolder, name), Path.Combine(folder, name));
        Assert.Equal(Path.Combine(folder, "t10k-images-idx3-ubyte.gz"), FashionMnist.Locate("t10k-images-idx3-ubyte.gz", folder));
        using var test = FashionMnist.Load(DataSplit.Test, folder);
        Assert.Equal(10_000, test.Count);
    }

    /// <summary>The core computes numbers and tensors: no console output, no HTML, no colour maps (those live in ParameterSaliency.Imaging).</summary>
    [Fact]
    public void The_core_library_neither_prints_nor_draws()
    {
        string core = Path.Combine(Workbook.Root, "lib", "ParameterSaliency");
        var offending = Directory.GetFiles(core, "*.cs", SearchOption.AllDirectories)
            .Where(path => !path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !path.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"))
            .SelectMany(path => File.ReadLines(path).Select((line, n) => (path, n, line)))
            .Where(l => l.line.Contains("Console.", StringComparison.Ordinal) || l.line.Contains("ToHtml", StringComparison.Ordinal) || l.line.Contains("Colormap", StringComparison.Ordinal))
            .Select(l => $"{Path.GetRelativePath(core, l.path)}:{l.n + 1}: {l.line.Trim()}").ToArray();
        Assert.True(offending.Length == 0, string.Join("\n", offending));
        Assert.DoesNotContain(typeof(FashionMnist).Assembly.GetReferencedAssemblies(), a => a.Name is "ParameterSaliency.Imaging" or "ParameterSaliency.Notebooks");
    }
}
