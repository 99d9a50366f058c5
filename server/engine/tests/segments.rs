//! Readers of a live writer's base and delta segments: a reader keeps answering from the generation it
//! mapped while later ones are published (deltas, then a new base that prunes its files), sees only whole
//! generations, and keeps serving the last good one when the delta `CURRENT` names is corrupt or truncated.

use leindex_engine::config::Config;
use leindex_engine::live::lock::WriterLock;
use leindex_engine::live::{Changes, LiveModel};
use leindex_engine::model::EdgeKind;
use leindex_engine::pipeline::{self, IndexOptions, Overlay};
use leindex_engine::serve::reader::SnapshotReader;
use leindex_engine::store::snapshot::{Manifest, Snapshot, read_current_pointer};
use std::path::{Path, PathBuf};

use crate::scratch::ScratchDir;

/// A three-file Python project: `pkg/a.py` calls `pkg/b.py`'s `beta`, `pkg/c.py` calls `alpha`.
fn project(root: &Path) {
    std::fs::create_dir_all(root.join("pkg")).unwrap();
    std::fs::write(root.join("pkg/a.py"), "def alpha():\n    return beta()\n").unwrap();
    std::fs::write(root.join("pkg/b.py"), "def beta():\n    return 1\n").unwrap();
    std::fs::write(root.join("pkg/c.py"), "def gamma():\n    return alpha()\n").unwrap();
}

fn manifest(config: &Config) -> Manifest {
    read_current_pointer(&config.index_dir).unwrap().unwrap()
}

/// The names of the callers of the symbol named `name` in `snap`, sorted; `None` when there is none.
fn callers(snap: &Snapshot, name: &str) -> Option<Vec<String>> {
    let id = snap.symbols_named(name).next()?;
    let mut names: Vec<String> = snap
        .in_edges(id)
        .filter(|e| e.kind == EdgeKind::Calls)
        .map(|e| snap.symbol(e.other).name.to_owned())
        .collect();
    names.sort();
    Some(names)
}

/// Appends `text` to `path` and lets the model publish it.
fn edit(model: &mut LiveModel, config: &Config, lock: &WriterLock, path: &PathBuf, text: &str) {
    let mut src = std::fs::read_to_string(path).unwrap();
    src.push_str(text);
    std::fs::write(path, src).unwrap();
    let changes = Changes::Paths([path.clone()].into_iter().collect());
    let report = model
        .update(config, lock, &changes, &Overlay::new())
        .unwrap();
    assert!(report.published, "{report:?}");
}

/// A live writer started on a scratch copy of [`project`], and a reader of its index.
struct Live {
    dir: ScratchDir,
    config: Config,
    lock: WriterLock,
    model: LiveModel,
    reader: SnapshotReader,
}

impl Live {
    fn start(name: &str) -> Live {
        let dir = ScratchDir::new(name);
        project(dir.path());
        let config = Config::load(dir.path()).unwrap();
        pipeline::ensure_index_dir(&config.index_dir).unwrap();
        let lock = WriterLock::try_acquire(&config.index_dir).unwrap();
        let mut model = LiveModel::default();
        model.start(&config, &lock, &Overlay::new()).unwrap();
        let reader = SnapshotReader::new(&config.index_dir);
        Live {
            dir,
            config,
            lock,
            model,
            reader,
        }
    }
}

#[test]
fn readers_keep_their_generation_while_deltas_and_a_new_base_are_published() {
    let Live {
        dir,
        config,
        lock,
        mut model,
        reader,
    } = Live::start("segments-readers");
    let root = dir.path().to_path_buf();
    let first = reader.current().unwrap().snapshot;
    assert!(manifest(&config).delta.is_none());
    assert_eq!(callers(&first, "beta").unwrap(), ["alpha"]);

    // Five edits, each a delta over the same base; the reader follows, the first view stays.
    let b = root.join("pkg/b.py");
    let mut views = Vec::new();
    for n in 0..5 {
        edit(
            &mut model,
            &config,
            &lock,
            &b,
            &format!("\ndef caller{n}():\n    return beta()\n"),
        );
        let m = manifest(&config);
        assert!(
            m.delta.is_some() && m.base_generation == first.generation(),
            "{m:?}"
        );
        let cur = reader.current().unwrap();
        assert!(cur.warning.is_none(), "{:?}", cur.warning);
        assert_eq!(cur.snapshot.generation(), m.generation);
        assert_eq!(cur.snapshot.rank_generation(), first.generation());
        let mut want: Vec<String> = (0..=n).map(|k| format!("caller{k}")).collect();
        want.insert(0, "alpha".into());
        assert_eq!(
            callers(&cur.snapshot, "beta").unwrap(),
            want,
            "after edit {n}"
        );
        views.push(cur.snapshot);
    }
    assert_eq!(
        callers(&first, "beta").unwrap(),
        ["alpha"],
        "the first view is unchanged"
    );
    assert!(callers(&first, "caller0").is_none());

    // An edit of a file the delta already holds, and one of another file: `alpha`'s callers move with it.
    let c = root.join("pkg/c.py");
    edit(
        &mut model,
        &config,
        &lock,
        &c,
        "\ndef delta_caller():\n    return alpha()\n",
    );
    let cur = reader.current().unwrap().snapshot;
    assert_eq!(callers(&cur, "alpha").unwrap(), ["delta_caller", "gamma"]);
    assert_eq!(cur.live_symbol_count(), first.live_symbol_count() + 6);

    // A one-shot run writes a new base; older segments are pruned, views on them keep answering.
    drop(lock);
    edit_file(
        &root.join("pkg/a.py"),
        "\ndef after_base():\n    return 2\n",
    );
    pipeline::index(&config, &IndexOptions::default()).unwrap();
    let m = manifest(&config);
    assert!(
        m.delta.is_none() && m.generation > views[4].generation(),
        "{m:?}"
    );
    let names: Vec<String> = std::fs::read_dir(config.index_dir.join("snapshots"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".lsnap"))
        .collect();
    assert!(
        names.len() <= 3,
        "superseded segments are pruned: {names:?}"
    );
    let now = reader.current().unwrap().snapshot;
    assert!(callers(&now, "after_base").is_some());
    assert_eq!(
        callers(&views[2], "beta").unwrap(),
        ["alpha", "caller0", "caller1", "caller2"]
    );
    assert_eq!(callers(&first, "beta").unwrap(), ["alpha"]);
}

fn edit_file(path: &Path, text: &str) {
    let mut src = std::fs::read_to_string(path).unwrap();
    src.push_str(text);
    std::fs::write(path, src).unwrap();
}

#[test]
fn a_corrupt_or_truncated_delta_leaves_the_last_good_generation_served() {
    let Live {
        dir,
        config,
        lock,
        mut model,
        reader,
    } = Live::start("segments-corrupt");
    let root = dir.path().to_path_buf();
    let b = root.join("pkg/b.py");
    edit(
        &mut model,
        &config,
        &lock,
        &b,
        "\ndef good():\n    return beta()\n",
    );
    let good = reader.current().unwrap().snapshot;
    assert!(callers(&good, "good").is_some());

    for (n, damage) in ["flip", "truncate"].into_iter().enumerate() {
        edit(
            &mut model,
            &config,
            &lock,
            &b,
            &format!("\ndef bad{n}():\n    return beta()\n"),
        );
        let path = manifest(&config).delta.expect("a delta");
        let mut bytes = std::fs::read(&path).unwrap();
        match damage {
            "flip" => {
                let mid = bytes.len() / 2;
                bytes[mid] ^= 0x40;
            }
            _ => bytes.truncate(bytes.len() - 9),
        }
        // The damaged file replaces the published one under its name (as a disk error would leave it).
        std::fs::write(&path, &bytes).unwrap();
        let cur = reader.current().unwrap();
        let warning = cur.warning.expect("a warning names the damaged generation");
        assert!(
            warning.contains("corrupt") || warning.contains("truncated"),
            "{warning}"
        );
        assert_eq!(cur.snapshot.generation(), good.generation(), "{damage}");
        assert!(callers(&cur.snapshot, &format!("bad{n}")).is_none());
        match Snapshot::open_current(&config.index_dir) {
            Err(e) => assert!(e.to_string().contains("leindex index"), "{e}"),
            Ok(_) => panic!("a {damage}ed delta opened"),
        }
    }
    // The next publish replaces the damaged delta; readers move on.
    edit(
        &mut model,
        &config,
        &lock,
        &b,
        "\ndef repaired():\n    return beta()\n",
    );
    let cur = reader.current().unwrap();
    assert!(cur.warning.is_none());
    assert!(
        callers(&cur.snapshot, "repaired").is_some() && callers(&cur.snapshot, "bad1").is_some()
    );
}

/// A base a live writer publishes is checked whole on a thread of the writer once it has settled, which
/// stamps it: the readers that map it next check its header only.
#[cfg(unix)]
#[test]
fn a_live_writers_new_base_is_stamped_for_its_readers() {
    let live = Live::start("segments-stamp");
    let base = manifest(&live.config).base;
    let stamp = base.with_file_name(format!(
        "{}.checked",
        base.file_name().unwrap().to_string_lossy()
    ));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !stamp.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(stamp.exists(), "{} was not stamped", base.display());
}
