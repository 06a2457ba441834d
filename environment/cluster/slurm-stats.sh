#!/usr/bin/env bash
# μ and σ of a model over a large data set on a Slurm cluster: one array task per shard, then the merge as a
# job that starts when every shard has succeeded. Submit from the repository root (a shared file system):
#
#   environment/cluster/slurm-stats.sh MODEL.pth ARCH folder:/data/imagenet/val OUT.safetensors [SHARDS]
#
# Every task runs 'saliency stats --shard i/SHARDS' with one thread per allocated core; a task that is killed
# (time limit, preemption) resumes from its <shard>.partial checkpoint when resubmitted (--requeue does that).
set -euo pipefail
model="$1"; arch="$2"; dataset="$3"; out="$4"; shards="${5:-16}"
shard_dir="$(dirname "$out")/$(basename "$out" .safetensors).shards"
mkdir -p "$shard_dir" logs
dotnet build lib/ParameterSaliency.Cli -c Release -v quiet -nologo
saliency="dotnet lib/ParameterSaliency.Cli/bin/Release/net10.0/saliency.dll"
common=(--model "$model" --arch "$arch" --dataset "$dataset" --normalize imagenet --resize 256 --crop 224 --skip-bad)

array_job=$(sbatch --parsable --requeue --array=1-"$shards" --cpus-per-task=4 --mem=48G --time=12:00:00 \
  --output=logs/stats-%A_%a.log --job-name=saliency-stats \
  --wrap="OMP_NUM_THREADS=\$SLURM_CPUS_PER_TASK $saliency stats ${common[*]} --shard \$SLURM_ARRAY_TASK_ID/$shards --out $shard_dir/shard-\$SLURM_ARRAY_TASK_ID.safetensors")

sbatch --dependency=afterok:"$array_job" --cpus-per-task=1 --mem=4G --time=00:30:00 \
  --output=logs/stats-merge-%j.log --job-name=saliency-stats-merge \
  --wrap="$saliency stats merge $shard_dir/shard-*.safetensors --out $out"
echo "submitted shards as job $array_job; the merge into $out follows when all $shards succeed"
