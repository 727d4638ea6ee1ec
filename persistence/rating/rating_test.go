package rating

import (
	"errors"
	"math"
	"testing"
)

func TestWinnerGainsLoserLoses(t *testing.T) {
	m := DefaultModel()
	out, err := m.Rate([][]Rating{{m.New()}, {m.New()}}, []int{0, 1})
	if err != nil {
		t.Fatal(err)
	}
	w, l := out[0][0], out[1][0]
	if !(w.Mu > m.Mu) || !(l.Mu < m.Mu) {
		t.Fatalf("winner mu %v, loser mu %v, start %v", w.Mu, l.Mu, m.Mu)
	}
	if !(w.Sigma < m.Sigma) || !(l.Sigma < m.Sigma) {
		t.Fatalf("sigmas %v %v did not shrink from %v", w.Sigma, l.Sigma, m.Sigma)
	}
	// Zero-sum in mu for equal sigmas: what the winner gains the loser loses.
	if d := (w.Mu - m.Mu) + (l.Mu - m.Mu); math.Abs(d) > 1e-9 {
		t.Fatalf("mu changes not symmetric: sum %v", d)
	}
}

// TestOpenSkillReference pins the numbers for a 1v1 between new players
// (Tau 0), computed by hand from Algorithm 4 of Weng & Lin (2011):
// c = sqrt(2*(sigma^2+beta^2)), the winner's omega = sigma^2/c * 1/2,
// delta = gamma*sigma^2/c^2 * 1/2 with gamma = sigma/c.
func TestOpenSkillReference(t *testing.T) {
	m := DefaultModel()
	m.Tau = 0
	out, err := m.Rate([][]Rating{{m.New()}, {m.New()}}, []int{0, 1})
	if err != nil {
		t.Fatal(err)
	}
	s2 := m.Sigma * m.Sigma
	c := math.Sqrt(2 * (s2 + m.Beta*m.Beta))
	wantMu := m.Mu + s2/c*0.5
	wantSigma := m.Sigma * math.Sqrt(1-(m.Sigma/c)*s2/(c*c)*0.25)
	if got := out[0][0]; math.Abs(got.Mu-wantMu) > 1e-12 || math.Abs(got.Sigma-wantSigma) > 1e-12 {
		t.Fatalf("winner = %+v, want mu %v sigma %v", got, wantMu, wantSigma)
	}
	// The widely published OpenSkill value for this game is mu 27.6352.
	if math.Abs(out[0][0].Mu-27.63523) > 1e-4 {
		t.Fatalf("winner mu %v, want about 27.63523", out[0][0].Mu)
	}
}

func TestDrawOfEqualTeamsKeepsMu(t *testing.T) {
	m := DefaultModel()
	teams := [][]Rating{{m.New(), m.New(), m.New()}, {m.New(), m.New(), m.New()}}
	out, err := m.Rate(teams, []int{0, 0})
	if err != nil {
		t.Fatal(err)
	}
	for i := range out {
		for j, r := range out[i] {
			if math.Abs(r.Mu-m.Mu) > 1e-9 {
				t.Errorf("team %d player %d mu %v after a draw of equals", i, j, r.Mu)
			}
			if !(r.Sigma < m.Sigma) {
				t.Errorf("team %d player %d sigma %v did not shrink", i, j, r.Sigma)
			}
		}
	}
}

func TestSymmetricTeams(t *testing.T) {
	m := DefaultModel()
	a := []Rating{{30, 5}, {20, 7}}
	b := []Rating{{30, 5}, {20, 7}}
	out, err := m.Rate([][]Rating{a, b}, []int{0, 1})
	if err != nil {
		t.Fatal(err)
	}
	for j := range a {
		gain := out[0][j].Mu - a[j].Mu
		loss := b[j].Mu - out[1][j].Mu
		if math.Abs(gain-loss) > 1e-9 {
			t.Errorf("player %d: gain %v, mirrored loss %v", j, gain, loss)
		}
		if math.Abs(out[0][j].Sigma-out[1][j].Sigma) > 1e-9 {
			t.Errorf("player %d: sigmas differ %v %v", j, out[0][j].Sigma, out[1][j].Sigma)
		}
	}
	// The uncertain player moves more than the certain one.
	if !(out[0][1].Mu-a[1].Mu > out[0][0].Mu-a[0].Mu) {
		t.Errorf("high-sigma player moved %v, low-sigma %v", out[0][1].Mu-a[1].Mu, out[0][0].Mu-a[0].Mu)
	}
}

func TestUpsetMovesMoreThanExpectedWin(t *testing.T) {
	m := DefaultModel()
	strong, weak := Rating{35, 3}, Rating{15, 3}
	expected, err := m.Rate([][]Rating{{strong}, {weak}}, []int{0, 1})
	if err != nil {
		t.Fatal(err)
	}
	upset, err := m.Rate([][]Rating{{strong}, {weak}}, []int{1, 0})
	if err != nil {
		t.Fatal(err)
	}
	if !(upset[1][0].Mu-weak.Mu > expected[0][0].Mu-strong.Mu) {
		t.Fatalf("upset gain %v not above expected-win gain %v", upset[1][0].Mu-weak.Mu, expected[0][0].Mu-strong.Mu)
	}
}

func TestThreeWayOrder(t *testing.T) {
	m := DefaultModel()
	out, err := m.Rate([][]Rating{{m.New()}, {m.New()}, {m.New()}}, []int{2, 0, 1})
	if err != nil {
		t.Fatal(err)
	}
	if !(out[1][0].Mu > out[2][0].Mu && out[2][0].Mu > out[0][0].Mu) {
		t.Fatalf("mus not in finishing order: %v %v %v", out[1][0].Mu, out[2][0].Mu, out[0][0].Mu)
	}
}

func TestSingleTeamKeepsMu(t *testing.T) {
	m := DefaultModel()
	out, err := m.Rate([][]Rating{{m.New(), {20, 4}}}, []int{0})
	if err != nil {
		t.Fatal(err)
	}
	if out[0][0].Mu != m.Mu || out[0][1].Mu != 20 {
		t.Fatalf("single team moved: %+v", out[0])
	}
}

func TestRateRejectsBadInput(t *testing.T) {
	m := DefaultModel()
	for name, tc := range map[string]struct {
		teams [][]Rating
		ranks []int
	}{
		"no teams":   {nil, nil},
		"ranks len":  {[][]Rating{{m.New()}, {m.New()}}, []int{0}},
		"empty team": {[][]Rating{{m.New()}, {}}, []int{0, 1}},
		"zero sigma": {[][]Rating{{m.New()}, {{25, 0}}}, []int{0, 1}},
	} {
		if _, err := m.Rate(tc.teams, tc.ranks); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err %v, want ErrInvalid", name, err)
		}
	}
}

func TestModelValidate(t *testing.T) {
	if err := DefaultModel().Validate(); err != nil {
		t.Fatal(err)
	}
	bad := DefaultModel()
	bad.Beta = 0
	if bad.Validate() == nil {
		t.Fatal("Beta 0 accepted")
	}
}

func BenchmarkRate(b *testing.B) {
	m := DefaultModel()
	for _, size := range []int{1, 3, 5} {
		teams := [][]Rating{make([]Rating, size), make([]Rating, size)}
		for i := range teams {
			for j := range teams[i] {
				teams[i][j] = m.New()
			}
		}
		b.Run("teamsize="+string(rune('0'+size)), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := m.Rate(teams, []int{0, 1}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
