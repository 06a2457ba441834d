using System.Security.Cryptography;
using ParameterSaliency.Data;
using ParameterSaliency.Saliency;

namespace ParameterSaliency.Tests;

/// <summary>A notebook's setting cut to its first images (a notebook parameter of the suite's runs).</summary>
public class WorkbookSettingTests
{
    [Fact]
    public void First_images_are_the_data_sets_first_with_caches_of_their_own_and_the_whole_sets_statistics_untouched()
    {
        string committed = WorkbookPaths.DefaultStatistics;
        byte[] before = SHA256.HashData(File.ReadAllBytes(committed));
        var whole = Notebooks.Workbook.Default;
        var first = whole.FirstImages(300);
        Assert.Equal("fashion-mnist:test[0:300]", first.Dataset);
        Assert.Equal(300, first.Data.Count);
        Assert.True(first.Data.Images.equal(SharedData.TestSplit.Images.narrow(0, 0, 300)).all().item<bool>());
        Assert.Equal(SharedData.TestSplit.LabelArray.Take(300), first.Data.LabelArray);
        Assert.True(first.IsDefault);

        // μ and σ: the whole test split's, from the committed file, which a subset must never rewrite.
        Assert.Equal(committed, first.StatisticsPath);
        var statistics = first.Statistics(new SaliencyProfiler(first.Model.Model));
        Assert.Equal((10000, "fashion-mnist:test"), (statistics.Count, statistics.DataName));
        Assert.Equal(before, SHA256.HashData(File.ReadAllBytes(committed)));

        // The classification and the index are of these 300 images: files of their own.
        Assert.NotEqual(whole.EvaluationPath, first.EvaluationPath);
        Assert.NotEqual(whole.SaliencyIndexPath, first.SaliencyIndexPath);
        Assert.Same(whole, whole.FirstImages(10000));
        Assert.Throws<ArgumentOutOfRangeException>(() => { whole.FirstImages(0); });
        first.Data.Dispose();
        whole.Model.Dispose();
        whole.Data.Dispose();
    }
}
